// link_group.cpp: instances linked by imports (runtime.h, "Linked
// instances"): one lifetime and one stack limit per group.
//
// Why: an importer can write its own functions into an exporter's table or
// funcref global (elem segment, table.set/grow/fill, global.set, the host's
// table_set on a re-exported table). A table element carries the function's
// code and vmctx, so if the importer's slot went back to the region while
// the exporter lives, the exporter's call_indirect would run the importer's
// code on whatever instance took the slot next (its globals, its memory).
// And code of one instance called from another's run executes on the
// caller's stack, where its own vmctx->stack_limit (0 outside its own runs)
// would let it use the host-call reserve and then enter a host function
// with no stack left (a fault in host code: the process dies).
//
// So linked instances share a LinkGroup: the last shared_ptr of a member
// only retires it (Instance::dispose); all members are deleted together
// once none is held. While a member runs, every member's stack_limit is the
// running stack's limit. Linking and disposal are rare: one mutex.
#include "runtime/internal.h"

namespace lucet {

using namespace rt;

std::mutex &link_mutex() {
    static std::mutex *mu = new std::mutex();  // never destroyed: instances may go at exit
    return *mu;
}

namespace {

void set_limits(LinkGroup &g, uintptr_t limit) {
    g.limit = limit;
    for (Instance *m : g.members) m->vmctx()->stack_limit = limit;
}

}  // namespace

Status Instance::Impl::link_to(Instance &exporter) {
    Impl &e = *exporter.impl_;
    if (&e == this) return {};
    std::lock_guard<std::mutex> lock(link_mutex());
    if (!e.linked.load(std::memory_order_relaxed) && e.phase_now() == Phase::Running)
        return make_error("cannot link to " + exporter.module_->path() + " while it runs", ErrorKind::ImportType);
    std::shared_ptr<LinkGroup> g = e.group, h = group;
    if (!g && !h) {
        g = std::make_shared<LinkGroup>();
        g->members = {&exporter, self};
        g->live = 2;
        e.group = group = g;
    } else if (g && !h) {
        g->members.push_back(self);
        g->live++;
        group = g;
    } else if (!g && h) {
        h->members.push_back(&exporter);
        h->live++;
        e.group = g = h;
    } else if (g != h) {
        if (g->depth && h->depth)
            return make_error("cannot link instances of two groups that are running", ErrorKind::ImportType);
        if (g->members.size() < h->members.size()) std::swap(g, h);
        if (h->depth) {
            g->tid = h->tid;
            g->depth = h->depth;
            g->limit = h->limit;
        }
        for (Instance *m : h->members) {
            m->impl_->group = g;
            g->members.push_back(m);
        }
        g->live += h->live;
    }
    set_limits(*g, g->limit);
    linked.store(true, std::memory_order_relaxed);
    e.linked.store(true, std::memory_order_relaxed);
    return {};
}

bool Instance::Impl::group_enter() {
    std::lock_guard<std::mutex> lock(link_mutex());
    LinkGroup &g = *group;
    pid_t me = current_tid();
    if (g.depth && g.tid != me) return false;
    g.tid = me;
    g.depth++;
    // The enclosing run's limit, restored by group_exit.
    saved_group_limit = g.limit;
    set_limits(g, stack_limit);
    return true;
}

void Instance::Impl::group_exit() {
    std::lock_guard<std::mutex> lock(link_mutex());
    LinkGroup &g = *group;
    set_limits(g, saved_group_limit);
    if (--g.depth == 0) g.tid = 0;
}

void Instance::dispose(Instance *p) {
    if (!p->impl_ || !p->impl_->linked.load(std::memory_order_relaxed)) {
        delete p;
        return;
    }
    // Retired: kept with its slot until no member of the group is held.
    std::vector<Instance *> dead;
    std::shared_ptr<LinkGroup> g;
    {
        std::lock_guard<std::mutex> lock(link_mutex());
        g = p->impl_->group;
        if (--g->live == 0) dead.swap(g->members);
    }
    for (Instance *m : dead) delete m;
}

}  // namespace lucet
