;; No memory at all.
(module (func (export "three") (result i32) (i32.const 3)))
