;; v128 through the C API: exports with v128 arguments and results (also
;; among scalars and as one of several results), a host function with v128
;; parameters and result, and v128 yield/resume values.
(module
  (import "env" "mix" (func $mix (param v128 i32 v128) (result v128)))
  (import "env" "yield_v128" (func $yield (param v128) (result v128)))
  (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "swap") (param i64 v128) (result v128 i64) (local.get 1) (local.get 0))
  (func (export "call_mix") (param v128 v128) (result v128) (call $mix (local.get 0) (i32.const 3) (local.get 1)))
  (func (export "yield_back") (param v128) (result v128) (call $yield (local.get 0)))
)
