;; The guest of the multi-result host function tests: each call_X forwards
;; its arguments to the import h.X and returns its results; sum_two uses
;; the two results of h.two in guest code.
(module
  (import "h" "none" (func $none))
  (import "h" "one" (func $one (param i32) (result i64)))
  (import "h" "two" (func $two (param i64 f64) (result i64 f64)))
  (import "h" "many" (func $many (param i32 i64 f32 f64 v128) (result i32 i64 f32 f64 v128)))
  (import "h" "vv" (func $vv (param v128 v128) (result v128)))
  (func (export "call_none") call $none)
  (func (export "call_one") (param i32) (result i64) local.get 0 call $one)
  (func (export "call_two") (param i64 f64) (result i64 f64) local.get 0 local.get 1 call $two)
  (func (export "sum_two") (param i64 f64) (result f64)
    (local $f f64)
    local.get 0 local.get 1 call $two
    local.set $f
    f64.convert_i64_s
    local.get $f
    f64.add)
  (func (export "call_many") (param i32 i64 f32 f64 v128) (result i32 i64 f32 f64 v128)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $many)
  (func (export "call_vv") (param v128 v128) (result v128) local.get 0 local.get 1 call $vv)
  ;; No host function: v128 arguments and results of a call.
  (func (export "add_lanes") (param v128 v128) (result v128 i32)
    local.get 0 local.get 1 i32x4.add
    local.get 0 i32x4.extract_lane 3))
