;; Guests of test_capi_signals.c: a fault, an endless loop, a host call.
(module
  (import "env" "h" (func $h))
  (memory 1)
  (func (export "oob") (result i32) (i32.load (i32.const 0xfffffff0)))
  (func (export "spin") (loop (br 0)))
  (func (export "call_host") (call $h)))
