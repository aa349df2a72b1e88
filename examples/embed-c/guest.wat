;; guest.wat: the module every embedder example runs (examples/embed-*).
;; It needs one host function, env.host_scale, and exports functions that
;; take arguments, call the host and trap.
(module
  (import "env" "host_scale" (func $host_scale (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  ;; host_scale(x) + 1: the host function runs in the middle of guest code.
  (func (export "scale_plus_one") (param i64) (result i64)
    (i64.add (call $host_scale (local.get 0)) (i64.const 1)))
  ;; Traps with "integer divide by zero" when b is 0.
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  ;; Traps with "out of bounds memory access" past the heap: a guard-page
  ;; fault, so the runtime's signal handler is involved.
  (func (export "load") (param i32) (result i32)
    (i32.load (local.get 0)))
  ;; Runs until something stops it (the kill switch).
  (func (export "spin") (loop $l (br $l))))
