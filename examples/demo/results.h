// Writers for OMNeT++'s result file formats (version 3): .sca (scalars, statistics,
// histograms, parameters), .vec (vector data, written in blocks) and its .vci index.
// Like OMNeT++, a writer removes the file of a previous run when the run starts and
// creates it only when the first item is recorded: a run that fails before finish()
// leaves a .vec/.vci (vectors are declared at network setup) but no .sca.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "scenario.h"
#include "simtime.h"
#include "stats.h"
#include "util.h"

// The header shared by .sca, .vec and .vci: run id, run attributes, itervars, config entries.
struct RunHeader {
    std::string runId;
    StringMap attributes;
    StringMap itervars;
    std::vector<std::pair<std::string, std::string>> config;

    static RunHeader of(const RunConfig& cfg);
};

class ScalarFileWriter {
  public:
    ScalarFileWriter(std::string path, RunHeader header, int precision);
    ~ScalarFileWriter();
    void recordParameter(const std::string& module, const std::string& name, const std::string& value, const StringMap& attrs);
    void recordScalar(const std::string& module, const std::string& name, double value, const StringMap& attrs);
    void recordStatistic(const std::string& module, const std::string& name, const Stats& stats, const StringMap& attrs);
    void recordHistogram(const std::string& module, const std::string& name, Histogram& histogram, const StringMap& attrs);
    void close();  // throws Error on write failure

  private:
    std::string path;
    RunHeader header;
    int prec;
    FILE *f = nullptr;
    void open();
    void write(const std::string& text);
    void writeAttributes(const StringMap& attrs);
    void writeFields(const Stats& stats);
};

class VectorFileWriter {
  public:
    VectorFileWriter(std::string vecPath, RunHeader header, int precision);
    ~VectorFileWriter();
    // Declares a vector; samples are buffered and written as one block per `bufferSamples`.
    int registerVector(const std::string& module, const std::string& name, const StringMap& attrs, size_t bufferSamples);
    void record(int vectorId, int64_t eventNumber, simtime_t t, double value);
    void close();  // writes the remaining blocks and the .vci fingerprint line; throws Error

  private:
    struct Sample {
        int64_t eventNumber;
        simtime_t time;
        double value;
    };
    struct Vector {
        size_t bufferLimit;
        std::vector<Sample> buffer;
        Stats blockStats;
    };
    std::string vecPath, vciPath;
    RunHeader header;
    int prec;
    FILE *vec = nullptr, *vci = nullptr;
    std::vector<Vector> vectors;
    void open();
    void writeBlock(int id);
    void write(FILE *file, const std::string& text);
};

class Module;

// What modules use to record results: applies the per-object options (scalar-recording,
// vector-recording, param-recording, vector-buffer) and forwards to the writers.
class ResultRecorder {
  public:
    ResultRecorder(const RunConfig& cfg, ScalarFileWriter& scalars, VectorFileWriter& vectors);
    int registerVector(const Module& m, const std::string& name, const StringMap& attrs);
    void recordInVector(int handle, int64_t eventNumber, simtime_t t, double value);
    void recordParameter(const Module& m, const std::string& name, const std::string& value, const StringMap& attrs);
    void recordScalar(const Module& m, const std::string& name, double value, const StringMap& attrs);
    void recordStatistic(const Module& m, const std::string& name, const Stats& stats, const StringMap& attrs);
    void recordHistogram(const Module& m, const std::string& name, Histogram& histogram, const StringMap& attrs);

  private:
    const RunConfig& cfg;
    ScalarFileWriter& scalars;
    VectorFileWriter& vectors;
    std::vector<bool> vectorEnabled;
    bool enabled(const std::string& objectPath, const std::string& option) const;
};
