;; A start function that yields (lucet_error_start_yielded).
(module
  (import "env" "yield_val" (func $yield_val (param i32) (result i32)))
  (func $start (drop (call $yield_val (i32.const 7))))
  (start $start)
  (func (export "nop")))
