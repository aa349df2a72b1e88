;; Many instances on many threads: each proves it started fresh and that
;; what it stored stays its own.
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  ;; -1 unless memory and the global are fresh; then stores the tag in both
  ;; and returns 2 * tag read back.
  (func (export "tag") (param i32) (result i32)
    (if (i32.or (i32.load (i32.const 1024)) (global.get $g))
      (then (return (i32.const -1))))
    (i32.store (i32.const 1024) (local.get 0))
    (global.set $g (local.get 0))
    (i32.add (i32.load (i32.const 1024)) (global.get $g)))
  ;; 1 if memory and the global still hold the tag
  (func (export "check") (param i32) (result i32)
    (i32.and (i32.eq (i32.load (i32.const 1024)) (local.get 0))
             (i32.eq (global.get $g) (local.get 0))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  (func (export "spin") (loop $l (br $l))))
