;; Guests of test_capi_signals.c: a fault, an endless loop, a host call,
;; float arithmetic on arguments (not folded by the C compiler).
(module
  (import "env" "h" (func $h))
  (memory 1)
  (func (export "oob") (result i32) (i32.load (i32.const 0xfffffff0)))
  (func (export "spin") (loop (br 0)))
  (func (export "call_host") (call $h))
  (func (export "mul") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  (func (export "add") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1))))
