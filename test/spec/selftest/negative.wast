;; Self-test of spec_runner: every assertion here is false, so the runner must
;; count each one as failed (checked with --expect-totals). This guards
;; against a runner that passes everything.

(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "f32") (result f32) (f32.const 1.0))
  (func (export "nan") (result f64) (f64.const nan:0x1))
  (func (export "snan32") (result f32) (f32.const nan:0x200000))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "trap") (unreachable))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
)
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "f32") (f32.const -1.0))
(assert_return (invoke "nan") (f64.const nan:canonical))
(assert_return (invoke "nan") (f64.const nan:arithmetic))
(assert_return (invoke "snan32") (f32.const nan:canonical))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "ext" (ref.extern 0)) (ref.null extern))
(assert_return (invoke "trap"))
(assert_trap (invoke "one") "unreachable")
(assert_trap (invoke "div" (i32.const 0)) "unreachable")
(assert_exhaustion (invoke "trap") "call stack exhausted")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
;; Rejected, but for another reason than the script's: a failure too.
(assert_invalid (module (func (result i32) (i64.const 0))) "unknown local")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unexpected end")
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\05\01\60\00") "unexpected end")
;; A trap text the runner does not know matches no trap.
(assert_trap (invoke "trap") "some trap nobody knows")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "incompatible import type")
(assert_trap (module (import "nowhere" "f" (func))) "unreachable")
(assert_unlinkable (module (func $s (unreachable)) (start $s)) "unknown import")
(module $Z (import "nowhere" "f" (func)) (func (export "z") (result i32) (i32.const 1)))
(assert_return (invoke $Z "z") (i32.const 1))
(assert_return (invoke "z") (i32.const 1))
