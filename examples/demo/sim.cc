#include "sim.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "results.h"
#include "scenario.h"

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

//---- Param

Param::Param(const ParamDecl& decl, const std::string& text, Module& owner) : declaration(decl), expr(text)
{
    if (!decl.isVolatile)
        cached = evaluate(owner);  // evaluated once, at network setup, like a non-volatile NED parameter
}

double Param::evaluate(Module& owner) const
{
    Value v = expr.evaluate(owner);
    const char *unit = declaration.unit;
    if (v.kind != Value::NUMBER || v.unit != unit)
        throw Error(strprintf("Wrong value '%s' for parameter '%s': a number with unit '%s' expected", expr.text().c_str(),
                              declaration.name, *unit ? unit : "none"));
    if (declaration.isInt && v.num != (long)v.num)
        throw Error(strprintf("Wrong value '%s' for parameter '%s': integer expected", expr.text().c_str(), declaration.name));
    return v.num;
}

double Param::value(Module& owner) const
{
    return declaration.isVolatile ? evaluate(owner) : cached;
}

std::string Param::str() const
{
    if (declaration.isVolatile)
        return expr.text();
    if (declaration.isInt)
        return std::to_string((long)cached);
    return fmtg(cached, 6) + declaration.unit;
}

//---- Simulation

Simulation::Simulation(const RunConfig& cfg, ResultRecorder& results, FILE *out, uint64_t seedSet, simtime_t timeLimit)
    : cfg(cfg), results(results), out(out), seedSet(seedSet), timeLimit(timeLimit)
{
}

Simulation::~Simulation() = default;  // messages live in the pool, freed with it

int Simulation::addModule(std::unique_ptr<Module> m)
{
    Module *mod = m.get();
    modules.push_back(std::move(m));
    mod->moduleId = (int)modules.size();
    // an independent random stream per module, derived from the seed set (= run number by default)
    mod->rng.seed(splitmix64(splitmix64(seedSet) + mod->moduleId));
    try {
        for (const ParamDecl& decl : mod->decls) {
            const ConfigEntry *e = cfg.findParam(mod->fullPath() + "." + decl.name);
            std::string text = e && e->value != "default" ? e->value : decl.defaultValue;
            mod->params.push_back(std::make_unique<Param>(decl, text, *mod));
        }
    }
    catch (const Error& ex) {
        throw SimulationError(ex.what() + context(mod));
    }
    return mod->moduleId;
}

void Simulation::initialize()
{
    stage = INITIALIZE;
    for (const auto& m : modules) {
        try {
            m->initialize();
        }
        catch (const SimulationError&) {
            throw;
        }
        catch (const Error& ex) {
            throw SimulationError(ex.what() + context(m.get()));
        }
    }
    stage = EVENT;
}

void Simulation::step()
{
    if (fes.empty() || (timeLimit >= 0 && fes.front().t > timeLimit)) {
        if (timeLimit < 0)
            throw Termination("No more events, simulation completed");
        // OMNeT++ stops with an end-of-simulation event at the limit, which counts as an event
        now = timeLimit;
        eventNumber++;
        throw Termination("Simulation time limit reached");
    }
    std::pop_heap(fes.begin(), fes.end(), std::greater<Event>());
    Event e = fes.back();
    fes.pop_back();
    now = e.t;
    eventNumber++;
    Module *m = e.msg->arrivalModule;
    try {
        m->handleMessage(e.msg);
    }
    catch (const SimulationError&) {
        throw;
    }
    catch (const Error& ex) {  // e.g. a volatile parameter that cannot be evaluated
        throw SimulationError(ex.what() + context(m));
    }
}

void Simulation::finish()
{
    stage = FINISH;
    if (!modules.empty())
        finish(modules.front().get());
}

// Submodules first, then the module itself; parameters are recorded before finish().
void Simulation::finish(Module *m)
{
    for (Module *child : m->children())
        finish(child);
    try {
        m->recordParameters();
        m->finish();
    }
    catch (const SimulationError&) {
        throw;
    }
    catch (const Error& ex) {
        throw SimulationError(ex.what() + context(m));
    }
}

Message *Simulation::newMessage(int kind)
{
    if (freeMessages.empty()) {
        pool.push_back(std::make_unique<Message[]>(1024));
        for (int i = 0; i < 1024; i++)
            freeMessages.push_back(&pool.back()[i]);
    }
    Message *msg = freeMessages.back();
    freeMessages.pop_back();
    *msg = Message();
    msg->kind = kind;
    msg->creationTime = now;
    messagesCreated++;
    messagesLive++;
    return msg;
}

void Simulation::deleteMessage(Message *msg)
{
    messagesLive--;
    freeMessages.push_back(msg);
}

void Simulation::schedule(Message *msg, simtime_t t, Module *dest)
{
    if (t < now)
        throw Error("Cannot schedule a message to the past: t=" + simtimeToString(t) + "s");
    msg->arrivalModule = dest;
    fes.push_back({t, nextSeq++, msg});
    std::push_heap(fes.begin(), fes.end(), std::greater<Event>());
}

std::string Simulation::context(const Module *m) const
{
    std::string where = m ? strprintf(" in module (%s) %s (id=%d)", m->className(), m->fullPath().c_str(), m->id()) : "";
    std::string when;
    switch (stage) {
        case SETUP: when = " during network setup"; break;
        case INITIALIZE: when = " during network initialization"; break;
        case EVENT: when = strprintf(" at t=%ss, event #%lld", simtimeToString(now).c_str(), (long long)eventNumber); break;
        case FINISH: when = " during finalization"; break;
    }
    return " --" + (where.empty() ? when : where + "," + when);
}

//---- Module

Module::Module(Simulation& sim, const char *className, Module *parent, const std::string& name, int index,
               const std::vector<ParamDecl>& params)
    : sim(sim), type(className), index(index), decls(params)
{
    path = (parent ? parent->fullPath() + "." : "") + name + (index >= 0 ? strprintf("[%d]", index) : "");
    if (parent)
        parent->submodules.push_back(this);
}

void Module::handleMessage(Message *)
{
    error("Unexpected message");
}

void Module::recordParameters()
{
    sim.results.recordParameter(*this, "typename", quote(type), {});
    for (const auto& p : params)
        sim.results.recordParameter(*this, p->decl().name, p->str(), *p->decl().unit ? StringMap{{"unit", p->decl().unit}} : StringMap{});
}

bool Module::lookup(const std::string& name, bool dollar, Value& out)
{
    if (dollar || name != "index")
        return false;
    out = Value::number(index < 0 ? 0 : index);
    return true;
}

double Module::uniform01()
{
    return (rng() >> 11) * 0x1.0p-53;
}

const Param& Module::par(const char *name) const
{
    for (const auto& p : params)
        if (strcmp(p->decl().name, name) == 0)
            return *p;
    throw Error(strprintf("No such parameter: %s", name));
}

void Module::scheduleAt(simtime_t t, Message *msg)
{
    sim.schedule(msg, t, this);
}

void Module::error(const std::string& msg) const
{
    throw SimulationError(msg + sim.context(this));
}

void Module::logInfo(const std::string& line) const
{
    fprintf(sim.out, "[INFO]\t%s\n", line.c_str());
}
