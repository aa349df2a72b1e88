;; mvfuzz seed 2227, as the generator of 2026-12-05 wrote it (before its
;; globals/table/calls/grow/bulk features changed what a seed makes): f3
;; and f5 store in a loop, then load past the end of memory; f6 reads what
;; they stored. At gcc -O2 the stores were missing at the trap (the
;; post-RA scheduler moved the load above them) until lucetc passed
;; -fno-schedule-insns2 (src/compiler/compiler.cpp). The expected values are
;; wabt's wasm-interp's.
(module
  (type $t0 (func (param i64) (param f64)))
  (type $t1 (func))
  (type $t2 (func (result f32) (result f32)))
  (type $t3 (func (result i32) (result i64) (result i32)))
  (type $t4 (func (result i32) (result f64)))
  (type $t5 (func (param i32) (result i32) (result i32) (result f32)))
  (type $t6 (func (result i64) (result i32) (result f64)))
  (type $t7 (func (param f64) (param i64) (param f64)))
  (type $t8 (func (result f64) (result i32)))
  (type $t9 (func (result f64) (result i64) (result i32)))
  (type $t10 (func (param i64) (result i32)))
  (memory 1)
  (data (i32.const 65520) "\34\73\f8\52\77\36\c3\8e\8e\fe\52\34\3d\0a\ca\9d")
  (data (i32.const 16) "\dc\a4\0c\d7")
  (data (i32.const 65520) "\fb\eb\47\2b\cf\6e\59\ef\b9\2c\d5\94\40")
  (func $f0 (export "f0") (result i64) (result f64) (local i32) (local i64) (local f32) (local f64) (local i32) (local f64) (local f64) (local f64)
    local.get 2
    f32.const -0x1p-149
    i64.trunc_sat_f32_u
    f64.const -0x1.1f6f4fb07239cp-645
    i32.const 33
    drop
    f64.const 2147483647.5
    f64.const -0x1.b8ab3e3aa2433p+5
    f64.ge
    local.get 0
    i32.rotr
    i64.extend_i32_u
    local.get 1
    i32.const -1431655766
    i32.const 511
    i32.and
    f64.load align=4
    local.get 0
    drop
    f64.const 1.5
    local.get 3
    f64.gt
    br_if 0
    local.get 0
    i32.const 256
    i32.and
    br_if 0
    i32.const 3
    local.set 4
    loop $l0 (type $t0)
      f64.floor
      local.tee 5
      f64.const nan
      local.get 5
      local.get 5
      f64.eq
      select
      i64.trunc_sat_f64_s
      i64.shr_u
      drop
    end
    local.get 3
    local.get 3
    i32.const 100
    f64.load
    f64.min
    i32.const 1306029541
    i32.const 255
    i32.and
    i64.load16_s offset=33 align=1
    local.get 3
    i32.const 65536
    i32.load8_u
    i32.const 2
    i32.and
    br_if 0
    local.tee 6
    f64.const nan
    local.get 6
    local.get 6
    f64.eq
    select
    i64.trunc_sat_f64_s
    i64.rotr
    f64.reinterpret_i64
    f64.le
    i32.const 256
    i32.and
    br_if 0
    local.tee 7
    f64.const nan
    local.get 7
    local.get 7
    f64.eq
    select
    i64.trunc_sat_f64_u
    i64.lt_u
    f32.reinterpret_i32
    i64.trunc_sat_f32_s
    local.get 4
    i32.const 63
    i32.and
    f32.load
    i64.trunc_sat_f32_u
    i64.and
    f32.convert_i64_s
    local.get 2
    f32.lt
    br_if 0
    i64.trunc_sat_f64_s
    i64.ge_s
    f32.reinterpret_i32
    f32.min
    i64.trunc_sat_f32_u
    f64.const 0x1.681abbf74d1a9p-356
  )
  (func $f1 (export "f1") (param i64) (param f64) (param f64) (result f32) (local i32) (local i64) (local f32) (local f64) (local f32) (local f64) (local i32) (local f32)
    block $b0 (type $t1)
      i32.const 13
      f64.load align=4
      f64.sqrt
      block $b1 (param f64) (result i64) (result f32) (result i64)
        i64.const 4294967295
        i64.const -745511585317819221
        i64.mul
        i32.const 1
        i32.load
        br_if $b0
        f32.const -0.5
        i32.const 4093
        i64.load offset=4 align=8
        local.get 3
        drop
        i32.const 7
        f64.convert_i32_u
        local.get 6
        i32.const 0
        i64.load offset=1
        f32.const -nan:0x200000
        local.get 0
        i32.const 8388607
        br_if 0
        f32.convert_i64_s
        local.tee 7
        f32.const nan
        local.get 7
        local.get 7
        f32.eq
        select
        f32.copysign
        i64.trunc_sat_f32_u
        i64.gt_u
        f64.convert_i32_s
        f64.add
        f64.eq
        br_if $b1
        call $f0
        local.get 2
        f64.le
        i64.extend_i32_s
        i64.shl
        i64.mul
        f32.convert_i64_s
        f32.div
        i64.trunc_sat_f32_s
        i64.xor
        i64.eqz
        i32.const 256
        i32.and
        br_if $b0
        local.tee 8
        f64.const nan
        local.get 8
        local.get 8
        f64.eq
        select
        i64.trunc_sat_f64_u
        f32.const -0x1.2cc8ce0000000p+0
        block $b2 (type $t2)
          i32.const 1030668921
          i32.const 511
          i32.and
          f64.load offset=8 align=4
          local.get 3
          br_if $b0
          f32.demote_f64
          i32.const 13
          f32.load offset=200
        end
        f32.le
        i64.extend_i32_s
      end
      i64.extend8_s
      i32.const 2
      local.set 9
      loop $l3 (type $t3)
        i32.const 8
        i32.load offset=200 align=4
        i32.const -53575339
        i32.const 255
        i32.and
        f32.load offset=8 align=2
        i64.trunc_sat_f32_s
        local.get 9
        i32.const 1
        i32.sub
        local.tee 9
        i32.const 0
        i32.gt_s
        br_if $l3
        i64.const 5486252259132936414
        i32.wrap_i64
      end
      i32.const 315611608
      local.get 5
      local.tee 10
      f32.const nan
      local.get 10
      local.get 10
      f32.eq
      select
      i32.trunc_sat_f32_s
      i32.gt_s
      i32.const 3
      i32.or
      i32.rem_u
      i32.const 255
      i32.load align=4
      i32.const 1
      i32.and
      br_if 0
      i64.extend_i32_u
      i64.lt_s
      i32.rotl
      i64.extend_i32_s
      i32.const 973763555
      select
      f32.convert_i64_u
      f32.max
      i64.trunc_sat_f32_s
      i64.shr_s
      drop
    end
    local.get 9
    i32.const 255
    i32.and
    f32.load offset=2
  )
  (func $f2 (export "f2") (result i32) (result i32) (result i64) (result i32) (local i32) (local i64) (local f32) (local f64) (local i32) (local f64) (local i32) (local f64) (local f32)
    f64.const 0x1.fffffffffffffp+52
    i32.const 0
    local.set 4
    loop $l0 (type $t1)
      f32.const -0x1p-149
      local.get 0
      i32.const 511
      i32.and
      i64.load32_u offset=8 align=2
      block $b1 (param i64) (result i64)
      end
      local.get 3
      i32.const 31
      i32.const 63
      i32.and
      i32.load8_s
      i32.const -2
      i64.const 7573148318691401615
      i32.const 1431655765
      local.get 4
      drop
      f64.const 0x1.fffffffffffffp+52
      local.get 3
      f64.eq
      br_if 1
      i64.extend_i32_s
      i64.mul
      i64.eqz
      i32.or
      i32.div_u
      f64.convert_i32_u
      local.tee 5
      f64.const nan
      local.get 5
      local.get 5
      f64.eq
      select
      f64.copysign
      i32.trunc_sat_f64_u
      i32.const -2019414620
      i64.const 758078454803532729
      i32.const 3
      i64.load
      i64.rotr
      local.get 1
      i64.shr_u
      local.get 0
      i32.const 2
      i32.and
      local.get 4
      i32.const 1
      i32.sub
      local.tee 4
      i32.const 0
      i32.gt_s
      i32.and
      br_if $l0
      i32.const -1
      f32.const 0.5
      i32.const 2
      local.set 6
      loop $l2 (result f32)
        local.get 4
        i32.const 1
        i32.sub
        local.tee 4
        i32.const 0
        i32.gt_s
        br_if $l0
        i64.const -7617805000503231160
        i32.const -1894221031
        i32.const 0x7fff1234
        i32.eq
        if
          unreachable
        end
        i32.wrap_i64
        i32.const 32
        i64.const 624944508306764203
        i32.const 388371298
        return
      end
      f32.eq
      br_if 1
      i32.const 3
      i32.rotl
      i64.extend_i32_s
      i64.ne
      i32.and
      i32.shr_s
      i64.extend_i32_u
      i64.const 3
      i64.or
      i64.div_u
      f32.convert_i64_u
      f32.div
      drop
      local.get 4
      i32.const 1
      i32.sub
      local.tee 4
      i32.const 0
      i32.gt_s
      br_if $l0
      local.get 4
      i32.const 2
      i32.and
      local.get 4
      i32.const 1
      i32.sub
      local.tee 4
      i32.const 0
      i32.gt_s
      i32.and
      br_if 0
      local.get 5
      i32.trunc_sat_f64_s
      local.get 1
      i32.wrap_i64
      local.get 2
      f32.const -1
      f32.le
      i64.const 9007199254740993
      i32.wrap_i64
      i32.and
      i64.extend_i32_s
      i32.const 65536
      br 1
    end
    i64.const -9223372036854775808
    local.get 1
    f64.reinterpret_i64
    local.tee 7
    f64.const nan
    local.get 7
    local.get 7
    f64.eq
    select
    i64.trunc_sat_f64_s
    i64.lt_u
    f64.convert_i32_u
    block $b3 (type $t4)
      local.get 2
      local.get 6
      local.get 7
      i32.const -1
      drop
      i32.const 8
      i32.load align=2
      i32.const 1
      i32.const 63
      i32.and
      i32.load offset=33 align=4
      i32.le_s
      br_if $b3
      i32.trunc_sat_f64_u
      drop
      f64.const 0x0.0000000000001p-1022
      local.get 1
      i32.const -7
      i64.extend_i32_s
      i64.le_s
      i32.const 2147483648
      i32.and
      br_if $b3
      i32.trunc_sat_f64_u
      i32.const 256
      i32.or
      i32.rem_s
      f32.convert_i32_u
      f32.max
      local.tee 8
      f32.const nan
      local.get 8
      local.get 8
      f32.eq
      select
      i32.reinterpret_f32
      i32.const 255
      f64.load offset=17
    end
    i32.trunc_sat_f64_u
    drop
    select (result f64)
    i32.trunc_sat_f64_u
    i32.const 31
    local.get 1
    local.get 6
    i32.const 511
    i32.and
    i32.load align=1
    i32.const 0
    i32.eqz
    br_if 0
  )
  (func $f3 (export "f3") (param i64) (result i64) (result f64) (result i64) (result f64) (local i32) (local i64) (local f32) (local f64) (local i32) (local f32) (local i32) (local f64) (local i32) (local f32) (local f64) (local f64)
    block $b0 (result f32)
      local.get 1
      i32.const 3
      local.set 5
      loop $l1 (type $t5)
        call $f2
        i64.extend_i32_u
        i64.rotl
        i64.eqz
        i32.const 1
        i32.or
        i32.rem_u
        f32.convert_i32_u
      end
      local.tee 6
      f32.const nan
      local.get 6
      local.get 6
      f32.eq
      select
      i32.reinterpret_f32
      i32.const 256
      i32.or
      i32.div_u
      i32.rotl
      f64.convert_i32_s
      i32.const 0
      local.set 7
      loop $l2 (result f64) (result f32)
        local.get 1
        i32.const 32768
        f64.load
        local.get 7
        i32.const 1
        i32.sub
        local.tee 7
        i32.const 0
        i32.gt_s
        br_if 0
        f64.trunc
        local.get 4
        f64.min
        i32.const 100
        i64.load8_u offset=1
        f64.convert_i64_s
        local.tee 8
        f64.const nan
        local.get 8
        local.get 8
        f64.eq
        select
        f64.copysign
        i32.trunc_sat_f64_s
        i32.le_u
        f64.convert_i32_u
        f32.const 0x1.fffffep+22
        local.get 7
        i32.const 1
        i32.sub
        local.tee 7
        i32.const 0
        i32.gt_s
        br_if $l2
        f64.promote_f32
        f32.demote_f64
      end
      f32.trunc
      f64.promote_f32
      f64.mul
      f64.min
      f32.demote_f64
    end
    i32.const 255
    i32.const 3
    local.set 9
    loop $l3 (result i64)
      i32.const 65536
      i32.const 63
      i32.and
      i32.const 16
      i32.load offset=1
      i32.store offset=8
      i32.const 65536
      i64.load8_u
      i32.const 16
      local.get 3
      local.tee 10
      f32.const nan
      local.get 10
      local.get 10
      f32.eq
      select
      f32.store offset=8
      i64.const 65
      i64.extend8_s
      f64.convert_i64_s
      i64.const 9007199254740991
      f64.const -0.5
      local.get 1
      i32.const 1
      i32.and
      br_if 1
      i64.reinterpret_f64
      i64.mul
      f64.reinterpret_i64
      f64.mul
      local.tee 11
      f64.const nan
      local.get 11
      local.get 11
      f64.eq
      select
      i64.reinterpret_f64
      i64.const 256
      i64.or
      i64.rem_s
    end
    f64.const 0x1.1a41ee4156884p+5
    i32.const 255
    i64.load offset=4
    local.get 5
    i32.const 255
    i32.and
    f64.load offset=2 align=2
    i32.const -2147483648
    drop
    f64.const nan
    f64.const nan
    f64.ge
    br_if 0
    i64.trunc_sat_f64_u
    i64.ge_u
    f64.convert_i32_u
    f64.div
    local.tee 12
    f64.const nan
    local.get 12
    local.get 12
    f64.eq
    select
    i64.trunc_sat_f64_u
    i64.shr_u
    i32.wrap_i64
    i32.rotr
    f32.convert_i32_u
    f32.max
    i64.trunc_sat_f32_u
    local.get 12
    local.get 5
    i32.const 4095
    i32.and
    i64.load offset=2
    i32.const 32
    i32.const 63
    i32.and
    f64.load offset=33 align=2
  )
  (func $f4 (export "f4") (result f64) (result f64) (result f64) (local i32) (local i64) (local f32) (local f64) (local f64) (local f64) (local f64) (local f64) (local i32) (local f32)
    block $b1 (type $t6)
      i64.const 2
      f64.reinterpret_i64
      f64.const 0x1.b2d5ceefb3300p-1
      f64.const nan:0x4000000000000
      br 1
    end
    f64.ceil
    i32.trunc_sat_f64_s
    i32.le_s
    i64.extend_i32_u
    i64.or
    i32.wrap_i64
    i32.const 4095
    i32.and
    i32.load offset=2
    drop
    local.get 1
    local.get 1
    i32.const -1329206446
    i32.const 255
    i32.and
    i64.load offset=2 align=8
    call $f3
    block $b2 (type $t7)
      i32.const 0
      i32.eqz
      br_if $b2
      i64.const -3288496014292025836
      call $f3
      local.tee 4
      f64.const nan
      local.get 4
      local.get 4
      f64.eq
      select
      i64.reinterpret_f64
      i64.eq
      f64.convert_i32_u
      f64.add
      local.tee 5
      f64.const nan
      local.get 5
      local.get 5
      f64.eq
      select
      i64.reinterpret_f64
      i64.rotr
      f64.reinterpret_i64
      f64.add
      local.tee 6
      f64.const nan
      local.get 6
      local.get 6
      f64.eq
      select
      i64.trunc_sat_f64_s
      i64.le_u
      f64.convert_i32_u
      f64.const -0x1.4019c99fc985ap+5
      return
    end
    f64.convert_i64_u
    i32.const 100
    f64.load offset=200 align=8
    call $f1
    f64.promote_f32
    local.get 3
    local.get 4
    block $b3 (param f64)
      f64.const 0.1
      f64.copysign
      local.get 5
      f64.div
      drop
    end
    i32.const 33
    i32.const 63
    i32.and
    f64.load offset=8 align=1
    local.get 1
    f64.const -0x1.031211ab9099cp+5
    f64.const 0x1.b2882837b2e94p+5
    local.get 3
    i32.const 63
    i32.const 1
    i32.and
    br_if 0
    i32.const 710357067
    select
    f64.min
    local.tee 7
    f64.const nan
    local.get 7
    local.get 7
    f64.eq
    select
    i64.trunc_sat_f64_u
    i64.xor
    f64.convert_i64_u
    f64.const -0x1.1ee393c3744dfp+6
    local.get 1
    i32.const 1
    local.set 8
    loop $l4 (type $t8)
      local.get 8
      i32.const 1
      i32.sub
      local.tee 8
      i32.const 0
      i32.gt_s
      br_if $l4
      i64.const 64
      f64.reinterpret_i64
      i32.const 33
    end
    i32.const 63
    i32.or
    f64.convert_i32_s
    f64.ge
    i64.extend_i32_s
    i64.rotl
    f64.reinterpret_i64
    f64.const -2147483648.5
    i32.trunc_sat_f64_u
    i32.const 2147483648
    i32.and
    br_if 0
    f32.const 2147483648
    i32.const 13
    f32.load offset=17
    f32.min
    f64.const 0x1p-1022
    f32.demote_f64
    f32.min
    local.tee 9
    f32.const nan
    local.get 9
    local.get 9
    f32.eq
    select
    i32.reinterpret_f32
    i32.const 1
    i32.and
    br_if 0
    f64.div
    f64.eq
    drop
    i32.const -2147483648
    i32.const 63
    i32.and
    f64.load align=4
    f64.const -2147483648.5
    f64.ne
    f32.const 0x1.fffffep+127
    f64.promote_f32
    i32.const 25219616
    i32.const 255
    i32.and
    f32.load offset=2
    f64.promote_f32
    local.get 3
    i32.const 13
    i32.load8_s align=1
    drop
    local.get 2
    i32.const 4093
    f32.load align=4
    f32.eq
    br_if 0
    f64.min
    f64.mul
    i32.trunc_sat_f64_u
    i32.lt_s
    i64.extend_i32_s
    local.get 1
    i64.le_u
    br_if 0
    f64.sub
    f64.gt
    i64.extend_i32_u
    i64.lt_s
    i32.const 831371351
    i32.lt_s
    if $i0 (result i32) (result i32)
      i32.const 1024
      i32.load16_s
      local.get 0
    else
      local.get 0
      i32.const 272
      i32.load offset=8 align=4
    end
    i32.or
    f64.convert_i32_s
    f64.const -2.5
    local.get 4
    local.get 0
    i32.eqz
    br_if 0
  )
  (func $f5 (export "f5") (param i32) (param i32) (result i32) (result i32) (result i32) (result f32) (local i32) (local i64) (local f32) (local f64) (local i32) (local i32) (local f64) (local i32) (local f32) (local f32) (local f32) (local f32) (local f32)
    i32.const 255
    i32.const 3
    local.set 6
    loop $l0 (result i64)
      local.get 4
      i64.trunc_sat_f32_s
    end
    i32.const 65525
    i64.load8_s offset=11
    local.get 6
    select (result i64)
    i32.wrap_i64
    i32.ge_u
    i32.const 32
    i32.const 33
    i32.const 8
    i32.load offset=8
    block $b1 (result f32) (result i64) (result i32)
      i32.const 64
      f64.load offset=1
      f32.const -0x1p-149
      i64.const 9223372036854775807
      i32.const 8388607
      i32.const 48576685
      drop
      f64.const nan:0x8000000000001
      f64.const 0.5
      f64.ne
      br_if $b1
      i64.extend_i32_s
      i64.const 256
      i64.or
      i64.rem_s
      f32.convert_i64_u
      f32.gt
      f64.convert_i32_u
      f64.div
      f32.demote_f64
      i64.const 4294967295
      i32.const -474751568
    end
    i64.extend_i32_s
    i64.lt_u
    f32.convert_i32_u
    f32.div
    f64.promote_f32
    i32.trunc_sat_f64_s
    i64.const -1
    i32.const 0
    local.set 7
    loop $l2 (type $t9)
      i32.const -1431655766
      drop
      f64.const 9223372036854775808
      f64.const -0
      f64.eq
      local.get 7
      i32.const 1
      i32.sub
      local.tee 7
      i32.const 0
      i32.gt_s
      i32.and
      br_if 0
      i32.const 0
      i32.const -1248259995
      i32.const 65535
      f32.const -0x1.3fd8860000000p-36
      br 1
    end
    i64.extend_i32_s
    i64.shl
    f64.convert_i64_u
    f64.add
    local.tee 8
    f64.const nan
    local.get 8
    local.get 8
    f64.eq
    select
    i64.trunc_sat_f64_s
    i32.const 7
    select (result i64)
    block $b3 (type $t10)
      i32.const 255
      i64.load
      local.get 2
      select
      i32.const 63
      i32.const 1014056243
      local.get 6
      i32.const 1024
      f32.load
      i32.const 1431655765
      drop
      f32.const inf
      i32.const 2147483647
      i32.const 255
      i32.and
      f32.load
      f32.ne
      br_if 1
      i32.reinterpret_f32
      i32.lt_u
      i32.rotl
      i32.rotr
      i64.extend_i32_s
      i64.or
      i64.eqz
    end
    i32.const 0
    i32.const 255
    i32.and
    i32.load offset=2 align=4
    local.get 1
    local.get 1
    i32.const -301326823
    f64.convert_i32_s
    f64.const -0x1.17d7e11cf78a8p+6
    f64.lt
    f32.convert_i32_u
    i32.const 8388607
    drop
    i32.const 8
    i32.load offset=1 align=4
    i32.const 4
    local.set 9
    loop $l4 (param i32) (result i32) (result f64) (result i64)
      f64.const inf
      i64.const -9063937074204065540
    end
    local.get 2
    local.get 7
    i32.const 32
    f32.const nan:0x400001
    local.get 6
    i32.const 1
    i32.and
    br_if 0
    i32.trunc_sat_f32_u
    i32.shr_u
    i32.ge_u
    i32.and
    i64.extend_i32_u
    i64.or
    f64.convert_i64_s
    f64.div
    i32.trunc_sat_f64_u
    i32.rotr
    i64.extend_i32_u
    i32.const 4093
    i32.load16_s
    local.get 2
    local.get 7
    local.get 4
    i32.const -2040678737
    drop
    i32.const -828806874
    i32.const 63
    i32.and
    f64.load offset=8
    i32.const 8388607
    i32.const 4095
    i32.and
    f64.load offset=2 align=1
    f64.le
    br_if 0
    local.get 4
    local.tee 10
    f32.const nan
    local.get 10
    local.get 10
    f32.eq
    select
    f32.copysign
    local.tee 11
    f32.const nan
    local.get 11
    local.get 11
    f32.eq
    select
    i32.reinterpret_f32
    i32.shl
    i32.sub
    i32.and
    i64.extend_i32_u
    i64.gt_u
    br_if 0
    local.get 7
    drop
    local.get 3
    i32.const 31
    i32.const 4095
    i32.and
    i64.load8_u offset=8
    i64.ge_s
    br_if 0
    local.tee 12
    f32.const nan
    local.get 12
    local.get 12
    f32.eq
    select
    i32.reinterpret_f32
    i32.rotr
    i32.const 256
    i32.or
    i32.rem_s
    i32.const 256
    i32.or
    i32.rem_u
    local.get 11
    i32.const -2
    i32.const 2
    i32.and
    br_if 0
    local.tee 13
    f32.const nan
    local.get 13
    local.get 13
    f32.eq
    select
    i32.trunc_sat_f32_u
    i32.const 3
    i32.or
    i32.div_u
    i32.const 3
    i32.or
    i32.rem_u
    i32.rotl
    i32.const 1856910294
    i32.const 100
    f32.load
    i32.const 2147483647
    br_if 0
    i32.reinterpret_f32
    i32.shr_s
    i32.or
    drop
    local.get 10
    i32.const 65536
    drop
    f64.const -nan:0x4000000000000
    i32.const 256
    i32.const 63
    i32.and
    f64.load
    f64.ne
    br_if 0
    local.tee 14
    f32.const nan
    local.get 14
    local.get 14
    f32.eq
    select
    i32.reinterpret_f32
    i32.mul
    f32.convert_i32_s
  )
  (func $f6 (export "f6") (result f32) (result i32) (result f64) (result i64) (local i32) (local i64) (local f32) (local f64) (local f32) (local f32) (local f32)
    i32.const -2147483648
    local.get 2
    f64.promote_f32
    i32.const 4
    i32.load8_u offset=8
    i32.const -168657863
    i32.sub
    i32.const 13
    f32.load
    i32.const -1
    call $f4
    i64.const 0
    i32.const 13
    i32.load offset=200 align=2
    local.get 0
    i32.xor
    local.get 0
    i32.const 573824345
    i32.const 63
    i32.and
    i32.load
    select
    f64.convert_i32_s
    f64.const -0x1.d026ad93ec688p+4
    call $f1
    f64.promote_f32
    f64.sub
    f64.eq
    f64.convert_i32_s
    f64.gt
    f64.convert_i32_u
    i64.const 64
    local.get 2
    local.set 4
    i32.const 4
    local.get 4
    local.tee 5
    f32.const nan
    local.get 5
    local.get 5
    f32.eq
    select
    f32.store offset=200
    i64.const 4294967296
    i32.wrap_i64
    i64.extend_i32_s
    i64.shl
    f64.convert_i64_u
    f64.sub
    f32.const 9223372036854775808
    local.get 4
    i32.const 1
    f64.const -3.75
    i32.const 255
    i64.load8_s offset=8
    local.get 0
    i32.const 1
    i32.and
    br_if 0
    f64.reinterpret_i64
    f64.ne
    i32.add
    f32.reinterpret_i32
    f32.max
    f32.le
    i64.extend_i32_s
    i32.const -2
    i32.const 511
    i32.and
    i32.load
    drop
    local.get 1
    local.get 0
    i32.const 511
    i32.and
    i64.load32_u offset=8 align=1
    i64.lt_s
    br_if 0
    f64.convert_i64_u
    f64.min
    i32.trunc_sat_f64_u
    i32.rotl
    f32.convert_i32_s
    f32.mul
    local.tee 6
    f32.const nan
    local.get 6
    local.get 6
    f32.eq
    select
    i32.trunc_sat_f32_s
    i32.ge_u
    f32.convert_i32_s
    local.get 0
    local.get 3
    i64.const 63
    i32.const 100
    i32.load16_u offset=1
    i32.eqz
    br_if 0
    f64.convert_i64_u
    f64.div
    i32.trunc_sat_f64_u
    i32.gt_u
    f32.convert_i32_s
    f32.min
    f64.promote_f32
    f64.add
    i32.trunc_sat_f64_u
    i32.add
    f32.convert_i32_s
    local.get 0
    i32.const 4095
    i32.and
    i32.load8_u offset=8
    i32.const 255
    i32.const 4095
    i32.and
    i32.load offset=2
    i32.const 63
    i32.and
    f64.load
    i64.const -1
  )
)

(assert_return (invoke "f0") (i64.const 0x0) (f64.const 0x0p+0))
(assert_return (invoke "f1" (i64.const -5) (f64.const 0.1) (f64.const 2147483647.5)) (f32.const 0x0p+0))
(assert_return (invoke "f2") (i32.const 0x80cf7d48) (i32.const 0x20) (i64.const 0x8ac3fb81df4b1ab) (i32.const 0x17261362))
(assert_trap (invoke "f3" (i64.const -9223372036854775808)) "out of bounds memory access: access at 65536+1 >= max value 65536")
(assert_return (invoke "f4") (f64.const 0x0.0000000000002p-1022) (f64.const 0x1.b2d5ceefb3300p-1) (f64.const nan:0x4000000000000))
(assert_trap (invoke "f5" (i32.const -1) (i32.const 32)) "out of bounds memory access: access at 65536+1 >= max value 65536")
(assert_return (invoke "f6") (f32.const -0x1.0000000000000p+57) (i32.const 0xffffffff) (f64.const -0x1.f800000000000p+5) (i64.const 0x0))
