;; Seed for fuzz_frontend: a bit of everything the emitter handles (memory,
;; table, globals, data/elem segments, control flow, calls, conversions).
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $imp (param i32) (result i32)))
  (memory 1 2)
  (table 2 funcref)
  (global $g (mut i32) (i32.const 7))
  (global i64 (i64.const -1))
  (data (i32.const 8) "hello")
  (elem (i32.const 0) $fac $imp)
  (func $fac (export "fac") (type $t)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "mix") (param i64 f32 f64) (result f64) (local i32)
    (block $b
      (loop $l
        (br_if $b (i32.ge_u (local.get 3) (i32.const 10)))
        (local.set 3 (i32.add (local.get 3) (i32.const 1)))
        (i32.store offset=16 (local.get 3) (i32.load8_u offset=8 (local.get 3)))
        (br_table $l $b $l (local.get 3))))
    (global.set $g (call_indirect (type $t) (local.get 3) (i32.const 0)))
    (drop (memory.grow (i32.const 1)))
    (f64.add (f64.convert_i64_s (local.get 0))
      (f64.add (f64.promote_f32 (local.get 1)) (f64.sqrt (local.get 2)))))
  (func (export "trunc") (param f64) (result i32 i64)
    (i32.trunc_sat_f64_s (local.get 0)) (i64.extend32_s (i64.trunc_f64_u (local.get 0)))))
