;; Handles under misuse (test_capi_handles.c): calls racing releases.
(module
  (import "env" "hook" (func $hook))
  (memory (export "memory") 1)
  ;; counts its calls in memory: 1, 2, 3, ... (touches the heap each call)
  (func (export "bump") (result i32)
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    (i32.load (i32.const 64)))
  ;; calls the host (which releases this instance), then keeps using its
  ;; memory: 7 unless the instance went away under it
  (func (export "hooked") (result i32)
    (call $hook)
    (i32.store (i32.const 4096) (i32.const 7))
    (memory.fill (i32.const 8192) (i32.const 1) (i32.const 32768))
    (i32.add (i32.load (i32.const 4096)) (i32.sub (i32.load8_u (i32.const 40959)) (i32.const 1)))))
