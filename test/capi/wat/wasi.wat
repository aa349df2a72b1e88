;; A WASI guest: counts its args and env, reads its stdin, exits with a code.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "argc") (result i32) (drop (call $args_sizes_get (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))
  (func (export "envc") (result i32) (drop (call $environ_sizes_get (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))
  ;; One fd_read of up to 16 bytes from fd 0: errno << 16 | bytes read.
  (func (export "readin") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (i32.or (i32.shl (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 32)) (i32.const 16))
            (i32.load (i32.const 32))))
  (func (export "_start") (call $proc_exit (i32.const 7))))
