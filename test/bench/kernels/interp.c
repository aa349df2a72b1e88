/* interp.c: indirect-call-heavy kernel. A small register bytecode machine
 * whose dispatch loop calls one handler per instruction through a table of
 * function pointers (call_indirect in wasm). The program is a nest of loops
 * doing integer arithmetic, so nearly all time is dispatch. */
#include <stdint.h>
#include <stdio.h>

enum { OP_LI, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHR, OP_AND, OP_MOV, OP_JNZ, OP_DEC, OP_HALT, OP_COUNT };

typedef struct { uint8_t op, a, b, c; int32_t imm; } Insn;
typedef struct VM {
    uint32_t reg[16];
    uint32_t pc;
    int running;
    const Insn *code;
} VM;

typedef void (*Handler)(VM *, const Insn *);

static void op_li(VM *vm, const Insn *i)   { vm->reg[i->a] = (uint32_t)i->imm; vm->pc++; }
static void op_add(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] + vm->reg[i->c]; vm->pc++; }
static void op_sub(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] - vm->reg[i->c]; vm->pc++; }
static void op_mul(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] * vm->reg[i->c]; vm->pc++; }
static void op_xor(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] ^ vm->reg[i->c]; vm->pc++; }
static void op_shr(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] >> (i->imm & 31); vm->pc++; }
static void op_and(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b] & (uint32_t)i->imm; vm->pc++; }
static void op_mov(VM *vm, const Insn *i)  { vm->reg[i->a] = vm->reg[i->b]; vm->pc++; }
static void op_jnz(VM *vm, const Insn *i)  { vm->pc = vm->reg[i->a] ? (uint32_t)i->imm : vm->pc + 1; }
static void op_dec(VM *vm, const Insn *i)  { vm->reg[i->a]--; vm->pc++; }
static void op_halt(VM *vm, const Insn *i) { (void)i; vm->running = 0; }

/* Not const and filled at run time so neither compiler can see through the
 * table and turn dispatch into a switch. */
static Handler handlers[OP_COUNT];

static void init_handlers(void) {
    handlers[OP_LI] = op_li;   handlers[OP_ADD] = op_add; handlers[OP_SUB] = op_sub;
    handlers[OP_MUL] = op_mul; handlers[OP_XOR] = op_xor; handlers[OP_SHR] = op_shr;
    handlers[OP_AND] = op_and; handlers[OP_MOV] = op_mov; handlers[OP_JNZ] = op_jnz;
    handlers[OP_DEC] = op_dec; handlers[OP_HALT] = op_halt;
}

#define I(op, a, b, c, imm) { op, a, b, c, imm }
/* r0: outer counter, r1: inner counter, r2: hash state, r3..r6: temporaries,
 * r7: multiplier. Computes a multiplicative hash over i*j pairs. */
static Insn program[] = {
    /* 0 */ I(OP_LI, 0, 0, 0, 0),            /* outer count, patched from main */
    /* 1 */ I(OP_LI, 2, 0, 0, 0x12345678),
    /* 2 */ I(OP_LI, 7, 0, 0, 0x9E3779B1),
    /* 3 */ I(OP_LI, 1, 0, 0, 1000),         /* inner loop start */
    /* 4 */ I(OP_MUL, 3, 0, 1, 0),
    /* 5 */ I(OP_XOR, 2, 2, 3, 0),
    /* 6 */ I(OP_MUL, 2, 2, 7, 0),
    /* 7 */ I(OP_SHR, 4, 2, 0, 15),
    /* 8 */ I(OP_XOR, 2, 2, 4, 0),
    /* 9 */ I(OP_AND, 5, 2, 0, 0xFF),
    /* 10 */ I(OP_ADD, 6, 6, 5, 0),
    /* 11 */ I(OP_DEC, 1, 0, 0, 0),
    /* 12 */ I(OP_JNZ, 1, 0, 0, 4),
    /* 13 */ I(OP_DEC, 0, 0, 0, 0),
    /* 14 */ I(OP_JNZ, 0, 0, 0, 3),
    /* 15 */ I(OP_MOV, 8, 2, 0, 0),
    /* 16 */ I(OP_SUB, 9, 8, 6, 0),
    /* 17 */ I(OP_HALT, 0, 0, 0, 0),
};

static volatile int32_t outer = 30000;

__attribute__((noinline)) static void run(VM *vm) {
    while (vm->running) {
        const Insn *i = &vm->code[vm->pc];
        handlers[i->op](vm, i);
    }
}

int main(void) {
    init_handlers();
    program[0].imm = outer;
    VM vm = {{0}, 0, 1, program};
    run(&vm);
    printf("hash=%08x sum=%u diff=%08x\n", vm.reg[8], vm.reg[6], vm.reg[9]);
    return 0;
}
