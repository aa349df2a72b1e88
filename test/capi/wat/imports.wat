;; Imports the embedder's host functions.
(module
  (import "env" "add_ctx" (func $add_ctx (param i32) (result i32)))
  (import "env" "stop" (func $stop (param i32)))
  (import "env" "poke" (func $poke (param i32) (result i32)))
  (import "env" "rerun" (func $rerun (result i32)))
  (memory (export "memory") 1)
  (func (export "call_add") (param i32) (result i32) (call $add_ctx (local.get 0)))
  (func (export "call_stop") (param i32) (result i32) (call $stop (local.get 0)) (i32.const 1))
  ;; poke's result (pages seen by the host), plus what it stored at addr
  (func (export "call_poke") (param i32) (result i32)
    (i32.add (call $poke (local.get 0)) (i32.load (local.get 0))))
  (func (export "call_rerun") (result i32) (call $rerun)))
