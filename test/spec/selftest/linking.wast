;; Self-test of spec_runner: register and cross-module imports.

(module $M
  (func (export "seven") (result i32) (i32.const 7))
  (global (export "g") (mut i32) (i32.const 10))
  (memory (export "mem") 1)
  (table (export "tab") 3 funcref)
  (func (export "set_g") (param i32) (global.set 0 (local.get 0)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(register "M" $M)

;; An unnamed module puts its own function into M's table and is then
;; replaced as the current module: the table entry must stay callable
;; (checked below through $N).
(module (import "M" "tab" (table 3 funcref)) (elem (i32.const 0) $nine) (func $nine (result i32) (i32.const 9)))
(module (func (export "other")))

(module $N
  (import "M" "seven" (func $seven (result i32)))
  (import "M" "g" (global $g (mut i32)))
  (import "M" "mem" (memory 1))
  (import "M" "tab" (table 3 funcref))
  (elem (i32.const 1) $eight)
  (func $eight (result i32) (i32.const 8))
  (func (export "seven_plus_g") (result i32) (i32.add (call $seven) (global.get $g)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "call_tab") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
)
(register "N")

(assert_return (invoke $N "seven_plus_g") (i32.const 17))
(invoke $M "set_g" (i32.const 20))
(assert_return (invoke $N "seven_plus_g") (i32.const 27))
(assert_return (get $M "g") (i32.const 20))
(invoke $N "poke" (i32.const 100) (i32.const 99))
(assert_return (invoke $M "peek" (i32.const 100)) (i32.const 99))
(assert_return (invoke $N "call_tab" (i32.const 1)) (i32.const 8))
(assert_trap (invoke $N "call_tab" (i32.const 2)) "uninitialized element")
(assert_return (invoke $N "call_tab" (i32.const 0)) (i32.const 9))

;; A module re-exporting an import.
(module (import "M" "seven" (func $f (result i32))) (export "again" (func $f)))
(assert_return (invoke "again") (i32.const 7))

(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "nowhere" "f" (func))) "unknown import")
(assert_unlinkable (module (import "M" "seven" (func (result i64)))) "incompatible import type")
(assert_unlinkable (module (import "M" "g" (global i32))) "incompatible import type")
(assert_unlinkable (module (import "M" "mem" (memory 2))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (func))) "incompatible import type")

;; A trap in an active segment leaves the earlier segments' effects in the
;; imported memory (WebAssembly 2.0 semantics).
(assert_trap
  (module
    (import "M" "mem" (memory 1))
    (data (i32.const 200) "\05")
    (data (i32.const 70000) "\06"))
  "out of bounds memory access")
(assert_return (invoke $M "peek" (i32.const 200)) (i32.const 5))
