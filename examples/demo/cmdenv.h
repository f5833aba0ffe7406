// Cmdenv: executes the selected runs of a config one after the other, in express mode,
// with OMNeT++'s console output, output redirection into per-run .out files, periodic
// status updates, batch error handling (cmdenv-stop-batch-on-error) and graceful
// SIGINT/SIGTERM handling.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "inifile.h"
#include "scenario.h"
#include "sim.h"

class Cmdenv {
  public:
    Cmdenv(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, bool verbose, bool useStderr);
    // Returns the exit code: 0 all runs OK, 1 some run failed, 2 interrupted by a signal.
    int run(const std::string& configName, const std::string& runFilter);

  private:
    using Clock = std::chrono::steady_clock;

    const IniFile& ini;
    std::vector<ConfigEntry> commandLine;
    bool verbose, useStderr;
    std::string configName;
    int numRuns = 0, runsTried = 0;

    // per-run options
    bool stopBatchOnError = true;
    bool performanceDisplay = true;
    double statusFrequency = 2;  // seconds of wall-clock time between status updates
    double simTimeLimit = -1, realTimeLimit = -1, cpuTimeLimit = -1;

    FILE *out = stdout;  // stdout, or the .out file while output is redirected
    std::string redirectFile;

    // status-line bookkeeping (OMNeT++'s Speedometer)
    Clock::time_point runStart, intervalStart;
    int64_t intervalStartEvent = 0;
    simtime_t intervalStartTime = 0;

    bool runSimulation(const Scenario& scenario, int runNumber);
    void simulate(Simulation& sim);
    void checkTimeLimits() const;
    void statusUpdate(const Simulation& sim);
    std::string progressPercentage(const Simulation& sim) const;
    void displayError(const std::string& message);
    void startRedirection(const std::string& fileName);
    void stopRedirection();
};
