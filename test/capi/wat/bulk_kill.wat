;; The kill switch vs the runtime's bulk-operation helpers: each export marks
;; mem[4] (started), then repeats one large table operation (8 MB of
;; elements) until the test sets mem[0]. Only the helpers run long: no
;; import calls, hardly any module code.
(module
  (memory (export "memory") 1)
  (table $t 250000 funcref)
  (func $f)
  (elem declare func $f)
  (func (export "table_fill")
    (i32.store (i32.const 4) (i32.const 1))
    (loop $l
      (table.fill $t (i32.const 0) (ref.func $f) (i32.const 250000))
      (br_if $l (i32.eqz (i32.load (i32.const 0))))))
  (func (export "table_copy")
    (i32.store (i32.const 4) (i32.const 1))
    (loop $l
      (table.copy $t $t (i32.const 1) (i32.const 0) (i32.const 249999))
      (br_if $l (i32.eqz (i32.load (i32.const 0)))))))
