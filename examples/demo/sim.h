// A minimal discrete-event simulation kernel in the style of OMNeT++: modules with
// NED-like parameters, messages delivered through a binary-heap future event set,
// integer simulation time, per-module random number streams, and errors that carry
// the OMNeT++ context suffix ("-- in module (Queue) Net.queue[2] (id=5), at t=12.5s, event #1234").
#pragma once

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "expr.h"
#include "simtime.h"
#include "util.h"

class Module;
class ResultRecorder;
class RunConfig;

struct Message {
    int kind = 0;
    simtime_t creationTime = 0;
    simtime_t timestamp = 0;  // free for the model, e.g. when a job entered a queue
    Module *arrivalModule = nullptr;
};

// A model error; the message already includes the context suffix.
struct SimulationError : Error {
    using Error::Error;
};

// A normal end of the run ("Simulation time limit reached"); Cmdenv adds the context.
struct Termination : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The NED declaration of a parameter.
struct ParamDecl {
    const char *name;
    const char *unit;  // "s" or "" (dimensionless)
    bool isInt;
    bool isVolatile;  // re-evaluated at every use, like NED `volatile`
    const char *defaultValue;
};

class Param {
  public:
    Param(const ParamDecl& decl, const std::string& text, Module& owner);
    double value(Module& owner) const;
    std::string str() const;  // the value as recorded in the .sca
    const ParamDecl& decl() const { return declaration; }

  private:
    const ParamDecl& declaration;
    Expression expr;
    double cached = 0;
    double evaluate(Module& owner) const;
};

class Simulation {
  public:
    enum Stage { SETUP, INITIALIZE, EVENT, FINISH };

    Simulation(const RunConfig& cfg, ResultRecorder& results, FILE *out, uint64_t seedSet, simtime_t timeLimit);
    ~Simulation();

    const RunConfig& cfg;
    ResultRecorder& results;
    FILE *const out;  // where log lines go (stdout or the redirected .out file)
    const uint64_t seedSet;
    const simtime_t timeLimit;  // -1: none

    simtime_t now = 0;
    int64_t eventNumber = 0;
    int64_t messagesCreated = 0, messagesLive = 0;
    Stage stage = SETUP;

    size_t fesLength() const { return fes.size(); }
    int addModule(std::unique_ptr<Module> m);  // returns the module id (the network is 1)
    void initialize();
    void step();  // executes one event; throws Termination at the end, SimulationError on errors
    void finish();

    Message *newMessage(int kind);
    void deleteMessage(Message *msg);
    void schedule(Message *msg, simtime_t t, Module *dest);
    // " -- in module (Queue) Net.queue[2] (id=5), at t=12.5s, event #1234"; m may be null
    std::string context(const Module *m) const;

  private:
    struct Event {
        simtime_t t;
        uint64_t seq;  // insertion order breaks ties: FIFO among simultaneous events
        Message *msg;
        bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    std::vector<Event> fes;
    uint64_t nextSeq = 0;
    std::vector<std::unique_ptr<Module>> modules;
    // messages come from a pool: cheaper than new/delete, and freed all at once at the end
    std::vector<std::unique_ptr<Message[]>> pool;
    std::vector<Message *> freeMessages;
    void finish(Module *m);
};

class Module : public ExprContext {
  public:
    Module(Simulation& sim, const char *className, Module *parent, const std::string& name, int index,
           const std::vector<ParamDecl>& params);
    ~Module() override = default;

    const std::string& fullPath() const { return path; }
    const char *className() const { return type; }
    int id() const { return moduleId; }
    const std::vector<Module *>& children() const { return submodules; }

    virtual void initialize() {}
    virtual void handleMessage(Message *msg);
    virtual void finish() {}
    void recordParameters();

    bool lookup(const std::string& name, bool dollar, Value& out) override;
    double uniform01() override;

  protected:
    Simulation& sim;
    const Param& par(const char *name) const;
    simtime_t now() const { return sim.now; }
    Message *createMessage(int kind) { return sim.newMessage(kind); }
    void deleteMessage(Message *msg) { sim.deleteMessage(msg); }
    void scheduleAt(simtime_t t, Message *msg);
    void send(Message *msg, Module *dest) { sim.schedule(msg, sim.now, dest); }  // zero-delay connection
    [[noreturn]] void error(const std::string& msg) const;
    void logInfo(const std::string& line) const;

  private:
    const char *type;
    std::string path;
    int index;
    int moduleId = 0;
    std::vector<Module *> submodules;
    std::vector<std::unique_ptr<Param>> params;
    std::mt19937_64 rng;
    std::vector<ParamDecl> decls;
    friend class Simulation;
};
