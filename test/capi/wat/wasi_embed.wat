;; A WASI guest that also calls an embedder host function, for an instance
;; with both a WASI context and an embedder context.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "env" "tag" (func $tag (result i32)))
  (memory (export "memory") 1)
  ;; argc * 1000 + the embedder's tag
  (func (export "both") (result i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 1000)) (call $tag))))
