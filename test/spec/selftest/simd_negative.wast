;; Self-test of spec_runner: false v128 assertions, each of which must fail
;; (only the module passes). Each targets one way a v128 comparison could be
;; too lenient.

(module (func (export "id") (param v128) (result v128) (local.get 0)))

;; the last lane differs
(assert_return (invoke "id" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 5))
;; the first byte differs
(assert_return (invoke "id" (v128.const i8x16 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))
               (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))
;; the halves swapped
(assert_return (invoke "id" (v128.const i64x2 0 1)) (v128.const i64x2 1 0))
;; a quiet NaN with a payload is not canonical
(assert_return (invoke "id" (v128.const f32x4 1 nan:0x600000 1 1)) (v128.const f32x4 1 nan:canonical 1 1))
;; a signalling NaN is not arithmetic
(assert_return (invoke "id" (v128.const f64x2 1 nan:0x4000000000000)) (v128.const f64x2 1 nan:arithmetic))
;; -0 is not 0
(assert_return (invoke "id" (v128.const f32x4 0 0 0 0)) (v128.const f32x4 0 0 0 -0))
