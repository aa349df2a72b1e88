;; const_tables.wast: call_indirect through tables whose contents lucetc fixes
;; at compile time (src/cgen/const_tables.h: defined, not exported, never
;; written by the code, constant segment offsets, only this module's
;; functions) and through the tables just outside that rule, which keep the
;; instance's table. Every outcome of call_indirect for both: the callee's
;; result, an index past the end, a null slot, a wrong type, a structurally
;; equal type under another index. Run at -O0 and -O2 by
;; test/spec/meson.build; test_compiler checks which tables are constant.

;; 1. A constant table: overlapping segments (the later one wins, a null
;; item clears a slot), passive and declarative segments beside them, two
;; types that are the same type, functions of several types.
(module
  (type $ii (func (param i32) (result i32)))
  (type $ii2 (func (param i32) (result i32)))
  (type $v (func (result i64)))
  (type $ff (func (param f64 f64) (result f64)))
  (table $t 8 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii2) (i32.mul (local.get 0) (i32.const 2)))
  (func $neg (type $ii) (i32.sub (i32.const 0) (local.get 0)))
  (func $k (type $v) (i64.const 0x123456789))
  (func $sub (type $ff) (f64.sub (local.get 0) (local.get 1)))
  (elem (i32.const 0) $inc $dbl $neg $k $sub)
  (elem (i32.const 2) $inc)                      ;; slot 2: $neg -> $inc
  (elem (i32.const 4) funcref (ref.null func))   ;; slot 4: $sub -> null
  (elem (i32.const 6) $sub)
  (elem func $neg)                               ;; passive: never written here
  (elem declare func $k)
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
  (func (export "ii2") (param i32 i32) (result i32)
    (call_indirect (type $ii2) (local.get 0) (local.get 1)))
  (func (export "v") (param i32) (result i64)
    (call_indirect (type $v) (local.get 0)))
  (func (export "ff") (param f64 f64 i32) (result f64)
    (call_indirect (type $ff) (local.get 0) (local.get 1) (local.get 2)))
  ;; table.get and table.size still read the instance's table: the same.
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "size") (result i32) (table.size $t))
  ;; A call in a loop, as an interpreter's dispatch does.
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (call_indirect (type $ii) (local.get $acc) (i32.rem_u (local.get $n) (i32.const 2))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
)
(assert_return (invoke "ii" (i32.const 41) (i32.const 0)) (i32.const 42))
(assert_return (invoke "ii" (i32.const 21) (i32.const 1)) (i32.const 42))
(assert_return (invoke "ii2" (i32.const 21) (i32.const 1)) (i32.const 42))
(assert_return (invoke "ii2" (i32.const 9) (i32.const 0)) (i32.const 10))
(assert_return (invoke "ii" (i32.const 5) (i32.const 2)) (i32.const 6))
(assert_return (invoke "v" (i32.const 3)) (i64.const 0x123456789))
(assert_return (invoke "ff" (f64.const 5) (f64.const 1.5) (i32.const 6)) (f64.const 3.5))
(assert_trap (invoke "ff" (f64.const 5) (f64.const 1.5) (i32.const 4)) "uninitialized element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 4)) "uninitialized element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 5)) "uninitialized element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 7)) "uninitialized element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 3)) "indirect call type mismatch")
(assert_trap (invoke "v" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "ff" (f64.const 5) (f64.const 1.5) (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 8)) "undefined element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const -1)) "undefined element")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 0x80000000)) "undefined element")
(assert_return (invoke "is_null" (i32.const 4)) (i32.const 1))
(assert_return (invoke "is_null" (i32.const 6)) (i32.const 0))
(assert_return (invoke "size") (i32.const 8))
(assert_return (invoke "loop" (i32.const 10)) (i32.const 62))

;; Types that differ only in where the f64s sit (params or results) are
;; different types (their codes once collided: a flat key with a separator
;; byte equal to f64's, found by an adversarial helper; the three-f64 case
;; crashed the process, the callee's result pointer being the caller's ctx).
(module
  (type $pf (func (param f64)))
  (type $rf (func (result f64)))
  (type $ipf (func (param i32 f64)))
  (type $irf (func (param i32) (result f64)))
  (type $p3 (func (param f64 f64 f64)))
  (type $r3 (func (result f64 f64 f64)))
  (memory 1)
  (table $t 3 funcref)
  (func $g (type $rf) (f64.const 42))
  (func $h (type $ipf))
  (func $g3 (type $r3) (f64.const 1) (f64.const 2) (f64.const 3))
  (elem (i32.const 0) $g $h $g3)
  (func (export "pf") (call_indirect (type $pf) (f64.const 1) (i32.const 0)))
  (func (export "irf") (result f64) (call_indirect (type $irf) (i32.const 7) (i32.const 1)))
  (func (export "p3") (result i32)
    (call_indirect (type $p3) (f64.const 1) (f64.const 2) (f64.const 3) (i32.const 2))
    (i32.load (i32.const 0)))
  (func (export "rf") (result f64) (call_indirect (type $rf) (i32.const 0)))
  (func (export "r3") (result f64)
    (call_indirect (type $r3) (i32.const 2)) (drop) (drop))
)
(assert_trap (invoke "pf") "indirect call type mismatch")
(assert_trap (invoke "irf") "indirect call type mismatch")
(assert_trap (invoke "p3") "indirect call type mismatch")
(assert_return (invoke "rf") (f64.const 42))
(assert_return (invoke "r3") (f64.const 1))

;; 2. Not constant: written by table.set (the new slot is what is called).
(module
  (type $ii (func (param i32) (result i32)))
  (table $t 4 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem (i32.const 0) $inc)
  (elem declare func $dbl)
  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $dbl)))
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
)
(assert_return (invoke "ii" (i32.const 5) (i32.const 0)) (i32.const 6))
(assert_trap (invoke "ii" (i32.const 5) (i32.const 1)) "uninitialized element")
(invoke "set" (i32.const 1))
(assert_return (invoke "ii" (i32.const 5) (i32.const 1)) (i32.const 10))
(invoke "set" (i32.const 0))
(assert_return (invoke "ii" (i32.const 5) (i32.const 0)) (i32.const 10))

;; 3. Not constant: table.grow makes new slots (and table.fill, table.copy
;; and table.init write them).
(module
  (type $ii (func (param i32) (result i32)))
  (table $t 1 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem (i32.const 0) $inc)
  (elem $seg func $dbl)
  (elem declare func $dbl)
  (func (export "grow") (result i32) (table.grow $t (ref.func $dbl) (i32.const 2)))
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
)
(assert_trap (invoke "ii" (i32.const 5) (i32.const 2)) "undefined element")
(assert_return (invoke "grow") (i32.const 1))
(assert_return (invoke "ii" (i32.const 5) (i32.const 2)) (i32.const 10))
(module
  (type $ii (func (param i32) (result i32)))
  (table $t 3 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem (i32.const 0) $inc)
  (elem $seg func $dbl)
  (func (export "init") (table.init $t $seg (i32.const 1) (i32.const 0) (i32.const 1)))
  (func (export "copy") (table.copy $t $t (i32.const 2) (i32.const 0) (i32.const 1)))
  (func (export "fill") (table.fill $t (i32.const 0) (ref.null func) (i32.const 1)))
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
)
(assert_trap (invoke "ii" (i32.const 5) (i32.const 1)) "uninitialized element")
(invoke "init")
(assert_return (invoke "ii" (i32.const 5) (i32.const 1)) (i32.const 10))
(invoke "copy")
(assert_return (invoke "ii" (i32.const 5) (i32.const 2)) (i32.const 6))
(invoke "fill")
(assert_trap (invoke "ii" (i32.const 5) (i32.const 0)) "uninitialized element")

;; 4. Not constant: exported, so another module can write it (here through
;; its own table.set on the imported table).
(module $owner
  (type $ii (func (param i32) (result i32)))
  (table (export "t") 2 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (elem (i32.const 0) $inc)
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
)
(register "owner" $owner)
(module
  (type $ii (func (param i32) (result i32)))
  (import "owner" "t" (table $t 2 funcref))
  (func $triple (type $ii) (i32.mul (local.get 0) (i32.const 3)))
  (elem declare func $triple)
  (func (export "put") (table.set $t (i32.const 1) (ref.func $triple)))
)
(assert_trap (invoke $owner "ii" (i32.const 5) (i32.const 1)) "uninitialized element")
(invoke "put")
(assert_return (invoke $owner "ii" (i32.const 5) (i32.const 1)) (i32.const 15))

;; 5. Not constant: a slot holds an imported function, or a segment's offset
;; is an imported global; beside them a constant table (two tables).
(module
  (type $ii (func (param i32) (result i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "print_i32" (func $print (param i32)))
  (table $a 4 funcref)
  (table $b 700 funcref)
  (table $c 3 funcref)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem (table $a) (i32.const 0) func $inc $print)
  (elem (table $b) (global.get $g) func $dbl)
  (elem (table $c) (i32.const 2) func $dbl)
  (func (export "a") (param i32 i32) (result i32) (call_indirect $a (type $ii) (local.get 0) (local.get 1)))
  (func (export "b") (param i32 i32) (result i32) (call_indirect $b (type $ii) (local.get 0) (local.get 1)))
  (func (export "c") (param i32 i32) (result i32) (call_indirect $c (type $ii) (local.get 0) (local.get 1)))
)
(assert_return (invoke "a" (i32.const 5) (i32.const 0)) (i32.const 6))
(assert_trap (invoke "a" (i32.const 5) (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "a" (i32.const 5) (i32.const 4)) "undefined element")
(assert_return (invoke "b" (i32.const 5) (i32.const 666)) (i32.const 10))
(assert_trap (invoke "b" (i32.const 5) (i32.const 665)) "uninitialized element")
(assert_return (invoke "c" (i32.const 5) (i32.const 2)) (i32.const 10))
(assert_trap (invoke "c" (i32.const 5) (i32.const 1)) "uninitialized element")
(assert_trap (invoke "c" (i32.const 5) (i32.const 3)) "undefined element")

;; 6. An empty table (not made constant): every call is past the end.
(module
  (type $ii (func (param i32) (result i32)))
  (table 0 funcref)
  (func (export "ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
)
(assert_trap (invoke "ii" (i32.const 5) (i32.const 0)) "undefined element")

;; 7. A segment past the end fails instantiation: no code of the module
;; runs, whatever the slots would have held.
(assert_trap
  (module
    (type $ii (func (param i32) (result i32)))
    (table 2 funcref)
    (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (elem (i32.const 1) $inc $inc)
    (func $start (drop (call_indirect (type $ii) (i32.const 0) (i32.const 1))))
    (start $start)
  )
  "out of bounds table access")
