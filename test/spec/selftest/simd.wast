;; Self-test of spec_runner with v128 values: arguments and results in every
;; lane type, per-lane NaN patterns, v128 among other values, v128 globals
;; read with `get` and linked between modules. Every assertion here is true;
;; simd_negative.wast holds false ones.

(module
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "id") (param v128) (result v128) (local.get 0))
  (func (export "i32x4.add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "f32x4.div") (param v128 v128) (result v128) (f32x4.div (local.get 0) (local.get 1)))
  (func (export "mixed") (param i32 v128 i64) (result i64 v128 i32) (local.get 2) (local.get 1) (local.get 0))
  (func (export "set_g") (param v128) (global.set $g (local.get 0)))
  (func (export "get_g") (result v128) (global.get $g))
)

(assert_return (invoke "id" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))
               (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 255))
(assert_return (invoke "id" (v128.const i16x8 -1 1 2 3 4 5 6 0x8000))
               (v128.const i16x8 0xffff 1 2 3 4 5 6 -32768))
;; The same bytes seen through other lane types: the halves are in order.
(assert_return (invoke "id" (v128.const i64x2 0x0000000200000001 0x0000000400000003))
               (v128.const i32x4 1 2 3 4))
(assert_return (invoke "id" (v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c))
               (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
(assert_return (invoke "i32x4.add" (v128.const i32x4 1 2 3 4) (v128.const i32x4 -1 -1 -1 -1))
               (v128.const i32x4 0 1 2 3))
(assert_return (invoke "f32x4.div" (v128.const f32x4 0 1 0 6) (v128.const f32x4 0 2 0 3))
               (v128.const f32x4 nan:canonical 0.5 nan:arithmetic 2))
(assert_return (invoke "id" (v128.const f64x2 nan:0xc000000000000 -0))
               (v128.const f64x2 nan:arithmetic -0))
(assert_return (invoke "mixed" (i32.const 7) (v128.const f64x2 1.5 -0) (i64.const -1))
               (i64.const -1) (v128.const f64x2 1.5 -0) (i32.const 7))
(assert_return (get "g") (v128.const i32x4 1 2 3 4))
(invoke "set_g" (v128.const i64x2 -1 0))
(assert_return (get "g") (v128.const i64x2 -1 0))
(assert_return (invoke "get_g") (v128.const i8x16 255 255 255 255 255 255 255 255 0 0 0 0 0 0 0 0))

;; v128 globals across instances: the importer reads and writes the
;; exporter's storage; an immutable import initialises a global.
(module $M
  (global (export "gv") (mut v128) (v128.const i32x4 5 6 7 8))
  (global (export "gc") v128 (v128.const i64x2 0x0102030405060708 -2))
  (func (export "set") (param v128) (global.set 0 (local.get 0)))
)
(register "M" $M)
(module
  (import "M" "gv" (global $gv (mut v128)))
  (import "M" "gc" (global $gc v128))
  (global $copy (export "copy") v128 (global.get $gc))
  (func (export "get_gv") (result v128) (global.get $gv))
  (func (export "set_gv") (param v128) (global.set $gv (local.get 0)))
)
(assert_return (invoke "get_gv") (v128.const i32x4 5 6 7 8))
(invoke "set_gv" (v128.const i32x4 9 10 11 12))
(assert_return (get $M "gv") (v128.const i32x4 9 10 11 12))
(invoke $M "set" (v128.const i32x4 0 0 0 1))
(assert_return (invoke "get_gv") (v128.const i32x4 0 0 0 1))
(assert_return (get "copy") (v128.const i64x2 0x0102030405060708 -2))
(assert_unlinkable (module (import "M" "gv" (global v128))) "incompatible import type")
(assert_unlinkable (module (import "M" "gc" (global i64))) "incompatible import type")
