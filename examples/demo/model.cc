#include "model.h"

#include <algorithm>
#include <deque>

#include "results.h"

namespace {

enum MessageKind { JOB, TIMER };

// The NED declarations: name, unit, int?, volatile?, default
const std::vector<ParamDecl> netParams = {
    {"numStations", "", true, false, "3"},
};
const std::vector<ParamDecl> sourceParams = {
    {"interArrivalTime", "s", false, true, "exponential(1s)"},
};
const std::vector<ParamDecl> queueParams = {
    {"serviceTime", "s", false, true, "exponential(0.8s)"},
    {"capacity", "", true, false, "-1"},  // max. number of waiting jobs; -1: unlimited
    {"samplingPeriod", "s", false, false, "1s"},  // queue length vector; 0s: off
};

class Net : public Module {
  public:
    explicit Net(Simulation& sim) : Module(sim, "Net", nullptr, "Net", -1, netParams) {}
    int numStations()
    {
        double n = par("numStations").value(*this);
        if (n < 0)
            error("numStations must not be negative");
        return (int)n;
    }
};

class Source : public Module {
  public:
    Source(Simulation& sim, Module *parent) : Module(sim, "Source", parent, "source", -1, sourceParams) {}
    Module *out = nullptr;

    void initialize() override
    {
        interArrivalTime = &par("interArrivalTime");
        scheduleAt(now() + nextInterval(), createMessage(TIMER));
    }
    void handleMessage(Message *timer) override
    {
        send(createMessage(JOB), out);
        created++;
        scheduleAt(now() + nextInterval(), timer);
    }
    void finish() override
    {
        sim.results.recordScalar(*this, "created:count", created, {{"recordingmode", "count"}, {"title", "jobs created, count"}});
    }

  private:
    const Param *interArrivalTime = nullptr;
    long created = 0;
    simtime_t nextInterval() { return secondsToSimtime(interArrivalTime->value(*this)); }
};

class Queue : public Module {
  public:
    Queue(Simulation& sim, Module *parent, int index) : Module(sim, "Queue", parent, "queue", index, queueParams) {}
    Module *out = nullptr;

    void initialize() override
    {
        serviceTime = &par("serviceTime");
        capacity = (long)par("capacity").value(*this);
        endService = createMessage(TIMER);
        lengthVector = sim.results.registerVector(*this, "queueLength:vector",
                                                  {{"interpolationmode", "sample-hold"}, {"recordingmode", "vector"}, {"title", "queue length, sampled"}});
        samplingPeriod = secondsToSimtime(par("samplingPeriod").value(*this));
        if (samplingPeriod > 0)
            scheduleAt(samplingPeriod, sampleTimer = createMessage(TIMER));
    }

    void handleMessage(Message *msg) override
    {
        if (msg == endService)
            completeService();
        else if (msg == sampleTimer) {
            sim.results.recordInVector(lengthVector, sim.eventNumber, now(), (double)waiting.size());
            scheduleAt(now() + samplingPeriod, msg);
        }
        else
            arrive(msg);
    }

    void finish() override
    {
        accumulate();
        double duration = simtimeToSeconds(now());
        sim.results.recordScalar(*this, "queueLength:timeavg", duration > 0 ? lengthIntegral / duration : 0,
                                 {{"recordingmode", "timeavg"}, {"title", "queue length, timeavg"}});
        sim.results.recordScalar(*this, "queueLength:max", (double)maxLength, {{"recordingmode", "max"}, {"title", "queue length, max"}});
        sim.results.recordScalar(*this, "busy:timeavg", duration > 0 ? busyIntegral / duration : 0,
                                 {{"recordingmode", "timeavg"}, {"title", "server busy state, timeavg"}});
        sim.results.recordStatistic(*this, "waitingTime:stats", waitingTime,
                                    {{"recordingmode", "stats"}, {"title", "waiting time, stats"}, {"unit", "s"}});
    }

  private:
    const Param *serviceTime = nullptr;
    long capacity = -1;
    simtime_t samplingPeriod = 0;
    Message *endService = nullptr, *sampleTimer = nullptr;
    Message *inService = nullptr;
    std::deque<Message *> waiting;
    int lengthVector = -1;
    Stats waitingTime;
    double lengthIntegral = 0, busyIntegral = 0;  // for the time averages
    simtime_t lastChange = 0;
    size_t maxLength = 0;

    void accumulate()
    {
        double dt = simtimeToSeconds(now() - lastChange);
        lengthIntegral += waiting.size() * dt;
        busyIntegral += inService ? dt : 0;
        lastChange = now();
    }

    void arrive(Message *job)
    {
        accumulate();
        job->timestamp = now();
        if (!inService) {
            startService(job);
            return;
        }
        if (capacity >= 0 && (long)waiting.size() >= capacity)
            error(strprintf("Queue overflow: capacity %ld exceeded", capacity));
        waiting.push_back(job);
        maxLength = std::max(maxLength, waiting.size());
    }

    void startService(Message *job)
    {
        waitingTime.collect(simtimeToSeconds(now() - job->timestamp));
        inService = job;
        scheduleAt(now() + secondsToSimtime(serviceTime->value(*this)), endService);
    }

    void completeService()
    {
        accumulate();
        send(inService, out);
        inService = nullptr;
        if (!waiting.empty()) {
            Message *job = waiting.front();
            waiting.pop_front();
            startService(job);
        }
    }
};

class Sink : public Module {
  public:
    Sink(Simulation& sim, Module *parent) : Module(sim, "Sink", parent, "sink", -1, {}) {}

    void handleMessage(Message *job) override
    {
        lifeTime.collect(simtimeToSeconds(now() - job->creationTime));
        deleteMessage(job);
    }
    void finish() override
    {
        sim.results.recordHistogram(*this, "lifeTime:histogram", lifeTime,
                                    {{"recordingmode", "histogram"}, {"title", "lifetime of jobs, histogram"}, {"unit", "s"}});
        const Stats& s = lifeTime.stats();
        logInfo(s.count() ? strprintf("jobs completed: %ld, mean lifetime: %gs", s.count(), s.mean()) : "jobs completed: 0");
    }

  private:
    Histogram lifeTime;
};

template <class T, class... Args>
T *add(Simulation& sim, Args&&... args)
{
    auto m = std::make_unique<T>(sim, std::forward<Args>(args)...);
    T *raw = m.get();
    sim.addModule(std::move(m));
    return raw;
}

}  // namespace

void buildNetwork(Simulation& sim, const std::string& networkName)
{
    if (networkName.empty())
        throw Error("No network specified (missing or empty network= configuration option)");
    if (networkName != "Net")
        throw Error("Network '" + networkName + "' not found, check .ini and .ned files");
    Net *net = add<Net>(sim);
    int n = net->numStations();
    Source *source = add<Source>(sim, net);
    std::vector<Queue *> queues;
    for (int i = 0; i < n; i++)
        queues.push_back(add<Queue>(sim, net, i));
    Sink *sink = add<Sink>(sim, net);
    source->out = n > 0 ? (Module *)queues[0] : sink;
    for (int i = 0; i < n; i++)
        queues[i]->out = i + 1 < n ? (Module *)queues[i + 1] : sink;
}
