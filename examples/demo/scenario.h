// Iteration variables (${...}) and the runs of a config, following OMNeT++'s
// SectionBasedConfiguration: variables are collected from the section chain (most
// specific section first, entries in file order); the first one declared is the
// outermost loop and $repetition (from `repeat`) the innermost. Activating a run
// yields its variables ($configname, $runnumber, $iterationvarsf, ...) and its
// entries with every ${...} substituted.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "inifile.h"
#include "util.h"

struct ConfigEntry {
    std::string key;
    std::string value;    // after ${...} substitution
    std::string baseDir;  // relative paths in the value are relative to this ("" = cwd)
};

// The configuration of one activated run.
class RunConfig {
  public:
    std::vector<ConfigEntry> entries;  // command-line options first, then the section chain
    StringMap vars;                    // predefined variables and iteration variables
    StringMap itervars;                // iteration variables except $repetition
    std::string defaultBaseDir;        // directory of the primary ini file

    const ConfigEntry *find(const std::string& key) const;
    // Option value with quotes removed, or the option's default with ${...} substituted.
    std::string get(const std::string& option) const;
    bool getBool(const std::string& option) const;
    long getInt(const std::string& option) const;
    double getSeconds(const std::string& option) const;  // -1 if not set
    // Per-object option for the object with the given full path (e.g. **.vector-recording).
    std::string getPerObject(const std::string& objectPath, const std::string& option) const;
    // Parameter assignment matching a full parameter path, or nullptr.
    const ConfigEntry *findParam(const std::string& paramPath) const;
    // Path of an output file (output-scalar-file, cmdenv-output-file, ...) relative to the cwd.
    std::string resolveFile(const std::string& option) const;
    // The entries as recorded in result files: the value of string options unquoted.
    std::vector<std::pair<std::string, std::string>> recordedEntries() const;
};

class Scenario {
  public:
    Scenario(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, const std::string& configName);
    int numRuns() const { return runCount; }
    std::string runInfo(int run) const;      // "$numHosts=10, $iaMean=1, $repetition=0"
    std::string configBrief(int run) const;  // "key = expanded value" lines of entries with ${...}
    RunConfig activate(int run) const;

  private:
    struct IterVar {
        std::string name;  // "0", "1", ... for unnamed variables
        std::vector<std::string> values;
    };
    const IniFile& ini;
    std::string configName;
    std::vector<ConfigEntry> commandLine;
    std::vector<const IniSection *> sections;
    std::vector<IterVar> itervars;  // declaration order, repetition last
    StringMap unnamedAt;            // "section:entry:k" -> name of the k-th ${...} there
    int runCount = 1;

    std::vector<std::string> assignment(int run) const;  // value of each itervar
    std::string substitute(const std::string& text, int section, int entry, const StringMap& vars) const;
    std::string rawOption(const std::string& name, const StringMap& vars) const;
};
