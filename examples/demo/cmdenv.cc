#include "cmdenv.h"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <memory>

#include "model.h"
#include "results.h"
#include "runfilter.h"

static volatile sig_atomic_t signalReceived = 0;

static void onSignal(int)
{
    signalReceived = 1;
}

// "2.00007s (0m 02s)", as printed by OMNeT++
static std::string timeToStr(double t)
{
    int sec = (int)std::floor(t);
    if (t < 3600)
        return strprintf("%gs (%dm %02ds)", t, sec / 60, sec % 60);
    if (t < 86400)
        return strprintf("%gs (%dh %02dm)", t, sec / 3600, (sec % 3600) / 60);
    return strprintf("%gs (%dd %02dh)", t, sec / 86400, (sec % 86400) / 3600);
}

Cmdenv::Cmdenv(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, bool verbose, bool useStderr)
    : ini(ini), commandLine(commandLine), verbose(verbose), useStderr(useStderr)
{
}

int Cmdenv::run(const std::string& config, const std::string& runFilter)
{
    configName = config;
    std::vector<int> runNumbers;
    std::unique_ptr<Scenario> scenario;
    try {
        scenario = std::make_unique<Scenario>(ini, commandLine, configName);
        runNumbers = resolveRunFilter(*scenario, runFilter);
    }
    catch (const Error& e) {
        displayError(e.what());
        return 1;
    }

    numRuns = (int)runNumbers.size();
    runsTried = 0;
    int numErrors = 0;
    for (int runNumber : runNumbers) {
        runsTried++;
        bool finishedOK = runSimulation(*scenario, runNumber);
        if (!finishedOK)
            numErrors++;
        if (signalReceived)
            break;  // an interrupted run still ends properly (finish(), results); the rest is skipped
        if (!finishedOK && stopBatchOnError)
            break;
    }

    // like OMNeT++, only in verbose mode (i.e. not with -s, so opp_runall never prints it)
    if (numRuns > 1 && verbose) {
        int numSkipped = numRuns - runsTried, numSuccess = runsTried - numErrors;
        fprintf(stdout, "\nRun statistics: total %d", numRuns);
        if (numSuccess > 0)
            fprintf(stdout, ", successful %d", numSuccess);
        if (numErrors > 0)
            fprintf(stdout, ", errors %d", numErrors);
        if (numSkipped > 0)
            fprintf(stdout, ", skipped %d", numSkipped);
        fprintf(stdout, "\n");
    }
    return numErrors > 0 ? 1 : signalReceived ? 2 : 0;
}

bool Cmdenv::runSimulation(const Scenario& scenario, int runNumber)
{
    if (verbose)
        fprintf(stdout, "\nPreparing for running configuration %s, run #%d...\n", configName.c_str(), runNumber);

    // declared in this order so that they are destroyed in the reverse order
    std::unique_ptr<RunConfig> cfg;
    std::unique_ptr<ScalarFileWriter> scalars;
    std::unique_ptr<VectorFileWriter> vectors;
    std::unique_ptr<ResultRecorder> recorder;
    std::unique_ptr<Simulation> sim;
    bool finishedOK = false;
    try {
        cfg = std::make_unique<RunConfig>(scenario.activate(runNumber));
        stopBatchOnError = cfg->getBool("cmdenv-stop-batch-on-error");
        performanceDisplay = cfg->getBool("cmdenv-performance-display");
        statusFrequency = cfg->getSeconds("cmdenv-status-frequency");
        simTimeLimit = cfg->getSeconds("sim-time-limit");
        realTimeLimit = cfg->getSeconds("real-time-limit");
        cpuTimeLimit = cfg->getSeconds("cpu-time-limit");
        bool redirect = cfg->getBool("cmdenv-redirect-output");

        const StringMap& v = cfg->vars;
        if (!verbose)  // printed before redirection: opp_runall shows it as progress
            fprintf(stdout, "%s run %d: %s, $repetition=%s\n", configName.c_str(), runNumber, v.at("iterationvars").c_str(),
                    v.at("repetition").c_str());
        if (redirect) {
            std::string fileName = cfg->resolveFile("cmdenv-output-file");
            if (verbose)
                fprintf(stdout, "Redirecting output to file \"%s\"...\n", fileName.c_str());
            startRedirection(fileName);
            if (verbose)
                fprintf(out, "\nRunning configuration %s, run #%d...\n", configName.c_str(), runNumber);
        }
        if (verbose) {
            if (!v.at("iterationvars").empty())
                fprintf(out, "Scenario: %s, $repetition=%s\n", v.at("iterationvars").c_str(), v.at("repetition").c_str());
            fprintf(out, "Assigned runID=%s\n", v.at("runid").c_str());
        }

        std::string network = cfg->get("network");
        RunHeader header = RunHeader::of(*cfg);
        scalars = std::make_unique<ScalarFileWriter>(cfg->resolveFile("output-scalar-file"), header, cfg->getInt("output-scalar-precision"));
        vectors = std::make_unique<VectorFileWriter>(cfg->resolveFile("output-vector-file"), header, cfg->getInt("output-vector-precision"));
        recorder = std::make_unique<ResultRecorder>(*cfg, *scalars, *vectors);
        simtime_t limit = simTimeLimit >= 0 ? secondsToSimtime(simTimeLimit) : -1;
        sim = std::make_unique<Simulation>(*cfg, *recorder, out, std::stoull(v.at("seedset")), limit);

        if (verbose)
            fprintf(out, "Setting up network \"%s\"...\n", network.c_str());
        buildNetwork(*sim, network);
        if (verbose)
            fprintf(out, "Initializing...\n");
        sim->initialize();
        if (verbose)
            fprintf(out, "\nRunning simulation...\n");
        simulate(*sim);
        if (verbose)
            fprintf(out, "\nCalling finish() at end of Run #%d...\n", runNumber);
        sim->finish();
        finishedOK = true;
    }
    catch (const std::exception& e) {
        displayError(e.what());
    }

    // end of run: flush the buffered vector data and close the files, also after an error
    try {
        if (vectors)
            vectors->close();
        if (scalars)
            scalars->close();
    }
    catch (const std::exception& e) {
        finishedOK = false;
        displayError(e.what());
    }
    stopRedirection();
    return finishedOK;
}

// The event loop. A normal end (time limit, no more events, signal) is printed as
// "<!> <reason> -- at t=..., event #..." and returns; errors propagate to the caller.
void Cmdenv::simulate(Simulation& sim)
{
    signalReceived = 0;
    signal(SIGINT, onSignal);
    signal(SIGTERM, onSignal);
    runStart = intervalStart = Clock::now();
    intervalStartEvent = sim.eventNumber;
    intervalStartTime = sim.now;
    Clock::time_point lastUpdate = runStart;
    auto finally = [&] {
        statusUpdate(sim);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    };

    statusUpdate(sim);
    try {
        for (;;) {
            sim.step();
            // look at the clock only every 256 events, like OMNeT++
            if ((sim.eventNumber & 0xff) == 0) {
                Clock::time_point now = Clock::now();
                if (std::chrono::duration<double>(now - lastUpdate).count() > statusFrequency) {
                    lastUpdate = now;
                    statusUpdate(sim);
                }
                checkTimeLimits();
            }
            if (signalReceived)
                throw Termination("SIGINT or SIGTERM received, exiting");
        }
    }
    catch (const Termination& t) {
        finally();
        fprintf(out, "\n<!> %s%s\n", t.what(), sim.context(nullptr).c_str());
    }
    catch (...) {
        finally();
        throw;
    }
}

void Cmdenv::checkTimeLimits() const
{
    if (realTimeLimit > 0 && std::chrono::duration<double>(Clock::now() - runStart).count() >= realTimeLimit)
        throw Termination("Real time limit reached");
    if (cpuTimeLimit > 0 && (double)clock() / CLOCKS_PER_SEC >= cpuTimeLimit)
        throw Termination("CPU time limit reached");
}

std::string Cmdenv::progressPercentage(const Simulation& sim) const
{
    double ratio = -1;
    if (simTimeLimit > 0)
        ratio = simtimeToSeconds(sim.now) / simTimeLimit;
    if (realTimeLimit > 0)
        ratio = std::max(ratio, std::chrono::duration<double>(Clock::now() - runStart).count() / realTimeLimit);
    if (cpuTimeLimit > 0)
        ratio = std::max(ratio, (double)clock() / CLOCKS_PER_SEC / cpuTimeLimit);
    if (ratio == -1)
        return "";
    ratio = std::min(ratio, 1.0);
    double total = (ratio + runsTried - 1) / numRuns;
    return strprintf("  %d%% completed  (%d%% total)", (int)(100 * ratio), (int)(100 * total));
}

void Cmdenv::statusUpdate(const Simulation& sim)
{
    Clock::time_point now = Clock::now();
    double intervalSecs = std::chrono::duration<double>(now - intervalStart).count();
    int64_t events = sim.eventNumber - intervalStartEvent;
    double simsecs = simtimeToSeconds(sim.now - intervalStartTime);
    double evPerSec = 0, simsecPerSec = 0, evPerSimsec = 0;
    if (intervalSecs >= 0.01 && events > 0) {  // shorter intervals would give misleading readings
        evPerSec = events / intervalSecs;
        simsecPerSec = simsecs / intervalSecs;
        evPerSimsec = simsecs == 0 ? 0 : events / simsecs;
    }
    intervalStart = now;
    intervalStartEvent = sim.eventNumber;
    intervalStartTime = sim.now;

    std::string elapsed = timeToStr(std::chrono::duration<double>(now - runStart).count());
    if (performanceDisplay) {
        fprintf(out, "** Event #%lld   t=%s   Elapsed: %s%s\n", (long long)sim.eventNumber, simtimeToString(sim.now).c_str(),
                elapsed.c_str(), progressPercentage(sim).c_str());
        fprintf(out, "     Speed:     ev/sec=%g   simsec/sec=%g   ev/simsec=%g\n", evPerSec, simsecPerSec, evPerSimsec);
        fprintf(out, "     Messages:  created: %lld   present: %lld   in FES: %zu\n", (long long)sim.messagesCreated,
                (long long)sim.messagesLive, sim.fesLength());
    }
    else
        fprintf(out, "** Event #%lld   t=%s   Elapsed: %s%s   ev/sec=%g\n", (long long)sim.eventNumber,
                simtimeToString(sim.now).c_str(), elapsed.c_str(), progressPercentage(sim).c_str(), evPerSec);
    fflush(out);
}

// With redirection, the details go into the .out file and only a pointer to it to stderr.
void Cmdenv::displayError(const std::string& message)
{
    FILE *err = useStderr ? stderr : stdout;
    fflush(stdout);
    if (!redirectFile.empty()) {
        fprintf(err, "<!> Error -- see %s for details\n", redirectFile.c_str());
        fprintf(out, "\n<!> Error: %s\n", message.c_str());
    }
    else
        fprintf(err, "\n<!> Error: %s\n", message.c_str());
    fflush(err);
}

void Cmdenv::startRedirection(const std::string& fileName)
{
    mkPath(directoryOf(fileName));
    FILE *f = fopen(fileName.c_str(), "w");
    if (!f)
        throw Error(strprintf("Cannot open output redirection file '%s': %s", fileName.c_str(), strerror(errno)));
    out = f;
    redirectFile = fileName;
}

void Cmdenv::stopRedirection()
{
    if (redirectFile.empty())
        return;
    fclose(out);
    out = stdout;
    redirectFile.clear();
}
