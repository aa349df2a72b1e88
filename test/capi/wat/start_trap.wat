;; Its start function traps: instantiation fails.
(module
  (func $boom unreachable)
  (start $boom))
