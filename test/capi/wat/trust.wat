;; test_capi_trust.c: a module to sign, tamper with and load in a small region.
(module
  (memory (export "memory") 1)
  (func (export "answer") (result i32) (i32.const 42)))
