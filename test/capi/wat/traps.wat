;; Traps three calls deep: an explicit trap (unreachable in $level3, at -O2
;; inlined by cc) and a heap fault ($load3). Names come from --debug-names.
(module
  (memory 1)
  (func $level3 (param i32) (result i32)
    local.get 0
    i32.const 2
    i32.gt_s
    if unreachable end
    local.get 0
    i32.const 1
    i32.add)
  (func $level2 (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $level3 i32.const 2 i32.mul)
  (func $level1 (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $level2 i32.const 3 i32.add)
  (func $load3 (param i32) (result i32) local.get 0 i32.load)
  (func $load2 (param i32) (result i32) local.get 0 i32.const 7 i32.add call $load3 i32.const 1 i32.add)
  (func $load1 (param i32) (result i32) local.get 0 call $load2 i32.const 1 i32.add)
  (func (export "_start") i32.const 5 call $level1 drop)
  (func (export "ok"))
  (func (export "oob") i32.const 0x7fffffff call $load1 drop))
