;; Imports of every kind (only introspected: nothing provides them).
(module
  (import "env" "f" (func (param i32 v128 externref) (result f32 f64)))
  (import "env" "tab" (table 3 funcref))
  (import "env" "mem" (memory 2))
  (import "env" "g" (global (mut i64))))
