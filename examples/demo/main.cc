// Command-line front end with the options of opp_run / a model executable:
//   demo [-n NEDPATH] [-l LIB] [-f INI]... [-c CONFIG] [-r FILTER] [-s] [-u Cmdenv]
//        [-q numruns|runnumbers|runs|rundetails|runconfig|sectioninheritance] [-a] [-v] [-h] [-m]
//        [--<config-option>=<value>]... [INI]...
// Output and exit codes follow OMNeT++ 6.1's Cmdenv (see OMNETPP.md in the shared docs).
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cmdenv.h"
#include "inifile.h"
#include "options.h"
#include "runfilter.h"
#include "scenario.h"
#include "util.h"

#ifndef DEMO_BUILDID
#define DEMO_BUILDID "unknown"
#endif
#define DEMO_VERSION "6.1-demo"

namespace {

// Parsed like OMNeT++'s ArgList: -x value or -xvalue, --key=value or --key value,
// anything else is an ini file name.
class Args {
  public:
    std::map<std::string, std::string> longOptions;  // sorted by key, as in OMNeT++
    std::vector<std::string> positional;

    void parse(int argc, char **argv)
    {
        for (int i = 1; i < argc; i++) {
            std::string a = argv[i];
            if (a == "--") {
                positional.insert(positional.end(), argv + i + 1, argv + argc);
                break;
            }
            if (startsWith(a, "--")) {
                size_t eq = a.find('=');
                if (eq != std::string::npos)
                    longOptions[a.substr(2, eq - 2)] = a.substr(eq + 1);
                else
                    longOptions[a.substr(2)] = i + 1 < argc ? argv[++i] : "";
            }
            else if (a.size() > 1 && a[0] == '-') {
                char c = a[1];
                if (strchr(WITH_ARGUMENT, c)) {
                    if (a.size() > 2)
                        shortOptions[c].push_back(a.substr(2));
                    else if (i + 1 < argc)
                        shortOptions[c].push_back(argv[++i]);
                    else
                        throw Error("command-line option " + a + " is missing required argument");
                }
                else if (strchr(FLAGS, c)) {
                    if (a.size() > 2)
                        throw Error(strprintf("command-line option -%c expects no argument", c));
                    shortOptions[c];
                }
                else
                    throw Error("Invalid command-line option " + a + ", try -h for help");
            }
            else
                positional.push_back(a);
        }
    }
    bool given(char c) const { return shortOptions.count(c) > 0; }
    const std::vector<std::string>& values(char c) const
    {
        static const std::vector<std::string> none;
        auto it = shortOptions.find(c);
        return it == shortOptions.end() ? none : it->second;
    }
    std::string last(char c) const { return given(c) ? values(c).back() : ""; }

  private:
    // -n (NED path), -l (library), -x (NED exclusions), -i (image path) are accepted and ignored
    static constexpr const char *WITH_ARGUMENT = "fuclrnxiq";
    static constexpr const char *FLAGS = "havsm";
    std::map<char, std::vector<std::string>> shortOptions;
};

void printBanner()
{
    printf("inet-swarm demo: Discrete Event Simulation  (C) 2026 the inet-swarm authors\n");
    printf("Version: %s, build: %s, edition: OMNeT++ 6.1 command-line contract demo\n", DEMO_VERSION, DEMO_BUILDID);
    printf("See the license for distribution terms and warranty disclaimer\n\n");
}

void printVersion()
{
    printf("Build: %s %s\n", DEMO_VERSION, DEMO_BUILDID);
    printf("Compiler: GCC %s\n", __VERSION__);
    printf("Options: %d-bit %s RELEASE\n", (int)(8 * sizeof(void *)),
#if defined(__x86_64__)
           "ARCH_X86_64"
#elif defined(__aarch64__)
           "ARCH_AARCH64"
#else
           "ARCH_UNKNOWN"
#endif
    );
}

void printHelp()
{
    printf(
        "Command line options:\n"
        "  <inifile> or -f <inifile>\n"
        "                Use the given ini file instead of omnetpp.ini. More than one\n"
        "                ini file can be specified.\n"
        "  --<configuration-option>=<value>\n"
        "                Configuration options and parameter values can be specified\n"
        "                on the command line, and they take precedence over options\n"
        "                specified in the ini file(s). Examples:\n"
        "                      --sim-time-limit=1000s\n"
        "                      --cmdenv-redirect-output=true\n"
        "                      --**.serviceTime=exponential(100ms)\n"
        "  -u <ui>       Selects the user interface. Only Cmdenv is available.\n"
        "  -c <configname>\n"
        "                Select a configuration for execution: the [Config <configname>]\n"
        "                section; the default is the [General] section. See also: -r.\n"
        "  -r <runfilter>\n"
        "                With -c: select runs from the specified configuration. A\n"
        "                missing -r option selects all runs in the given configuration.\n"
        "                <runfilter> is either a comma-separated list of run numbers or\n"
        "                run number ranges (for example 1,2,5..10), or an expression\n"
        "                over iteration variables, e.g. '$numStations>2 && $repetition==0'.\n"
        "  -n <nedpath>, -l <library>, -x <packages>, -i <imgpath>\n"
        "                Accepted for compatibility with opp_run, and ignored.\n"
        "  -s            Silent mode; makes the output less verbose.\n"
        "  -v            Print version and build info, and exit.\n"
        "  -m            Merge standard error into standard output.\n"
        "  -a            Print all config names and number of runs in them, and exit.\n"
        "  -q <what>     To be used together with -c and -r. Prints information about\n"
        "                the specified configuration and runs, and exits.\n"
        "    -q numruns  Prints the number of runs selected by the run filter.\n"
        "    -q runnumbers\n"
        "                Prints the run numbers of the runs selected by the run filter.\n"
        "    -q runs     Prints one line with the iteration variables of each selected run.\n"
        "    -q rundetails\n"
        "                Like -q runs, plus the configuration entries containing\n"
        "                iteration variables, expanded.\n"
        "    -q runconfig\n"
        "                Like -q runs, plus the full configuration of each run.\n"
        "    -q sectioninheritance\n"
        "                Print the section fallback chain of the specified configuration.\n"
        "  -h            Print this help and exit.\n"
        "\n"
        "Cmdenv-specific information:\n"
        "    Cmdenv executes all runs denoted by the -c and -r options. The number\n"
        "    of runs executed and the number of runs that ended with an error are\n"
        "    reported at the end.\n\n");
}

std::string indentLines(const std::string& text, const std::string& indent)
{
    std::string result;
    size_t start = 0, nl;
    while ((nl = text.find('\n', start)) != std::string::npos) {
        result += indent + text.substr(start, nl + 1 - start);
        start = nl + 1;
    }
    return start < text.size() ? result + indent + text.substr(start) : result;
}

// -q: the output format is parsed by tools (the OMNeT++ IDE, opp_runall), keep it exact.
int printRunInfo(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, bool verbose, const std::string& configName,
                 const std::string& runFilter, std::string query)
{
    for (char& c : query)
        c = (char)tolower((unsigned char)c);
    if (query == "sectioninheritance") {
        if (verbose)
            printf("\n");
        for (const IniSection *s : ini.chain(configName))
            printf("%s\n", s->name == "General" ? "General" : ("Config " + s->name).c_str());
        return 0;
    }
    if (query.find("run") == std::string::npos)
        throw Error("Unrecognized -q argument '" + query + "'");

    Scenario scenario(ini, commandLine, configName);
    std::vector<int> runs = resolveRunFilter(scenario, runFilter);
    if (verbose) {
        printf("Config: %s\n", configName.c_str());
        printf("Number of runs: %d\n", scenario.numRuns());
        if (!trim(runFilter).empty())
            printf("Number of runs selected: %zu\n", runs.size());
    }
    if (query == "numruns") {
        if (!verbose)
            printf("%zu\n", runs.size());
    }
    else if (query == "runnumbers") {
        if (verbose)
            printf("\nRun numbers:");
        for (int run : runs)
            printf(" %d", run);
        printf("\n");
    }
    else if (query == "runs" || query == "rundetails" || query == "runconfig") {
        if (verbose)
            printf("\n");
        for (size_t i = 0; i < runs.size(); i++) {
            printf("Run %d: %s\n", runs[i], scenario.runInfo(runs[i]).c_str());
            if (query == "runs")
                continue;
            if (query == "rundetails")
                printf("%s", indentLines(scenario.configBrief(runs[i]), "\t").c_str());
            else
                for (const ConfigEntry& e : scenario.activate(runs[i]).entries)
                    printf("\t%s = %s\n", e.key.c_str(), e.value.c_str());
            if (i + 1 < runs.size())
                printf("\n");
        }
    }
    else
        throw Error("Unrecognized -q argument '" + query + "'");
    return 0;
}

// An option read before a config is selected: from the command line or [General].
std::string globalOption(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, const std::string& name)
{
    for (const ConfigEntry& e : commandLine)
        if (e.key == name)
            return unquoteIfQuoted(e.value);
    for (const IniSection *s : ini.chain("General"))
        for (const IniEntry& e : s->entries)
            if (e.key == name)
                return unquoteIfQuoted(e.value);
    return "";
}

int runApp(const Args& args, bool verbose, bool useStderr)
{
    IniFile ini;
    std::vector<std::string> iniFiles = args.values('f');
    iniFiles.insert(iniFiles.end(), args.positional.begin(), args.positional.end());
    if (iniFiles.empty() && (fileExists("omnetpp.ini") || !(args.given('v') || args.given('h'))))
        iniFiles.push_back("omnetpp.ini");
    for (const std::string& f : iniFiles)
        ini.read(f);
    for (const std::string& name : ini.configNames())
        for (const IniSection *s : ini.chain(name))
            for (const IniEntry& e : s->entries)
                try {
                    checkIniKey(e.key);
                }
                catch (const Error& ex) {
                    throw Error(std::string(ex.what()) + " -- in [" + (s->name == "General" ? "General" : "Config " + s->name) + "]");
                }

    std::vector<ConfigEntry> commandLine;
    for (const auto& [key, value] : args.longOptions) {
        std::string k = normalizeCommandLineKey(key);
        if (value.empty())
            throw Error("Missing value for command-line option --" + k);
        commandLine.push_back({k, value, ""});  // relative paths: to the working directory
    }

    std::string ui = args.last('u');
    if (!ui.empty() && ui != "Cmdenv") {
        if (verbose)
            printf("User interface '%s' not found (not linked in or loaded dynamically).\n\n"
                   "Available ones are:\n  Cmdenv : command-line user interface\n",
                   ui.c_str());
        throw Error("Could not start user interface '" + ui + "'");
    }
    if (verbose)
        printf("Setting up Cmdenv...\n\n");

    if (args.given('h')) {
        printHelp();
        return 0;
    }
    if (args.given('v')) {
        printVersion();
        return 0;
    }
    if (args.given('a')) {
        for (const std::string& name : ini.configNames())
            printf("Config %s: %d\n", name.c_str(), Scenario(ini, commandLine, name).numRuns());
        return 0;
    }
    if (args.given('q'))
        return printRunInfo(ini, commandLine, verbose, args.given('c') ? args.last('c') : "General", args.last('r'), args.last('q'));

    // -c and -r take precedence over cmdenv-config-name and cmdenv-runs-to-execute
    std::string configName = args.given('c') ? args.last('c') : globalOption(ini, commandLine, "cmdenv-config-name");
    std::string runFilter = args.given('r') ? args.last('r') : globalOption(ini, commandLine, "cmdenv-runs-to-execute");
    return Cmdenv(ini, commandLine, verbose, useStderr).run(configName.empty() ? "General" : configName, runFilter);
}

}  // namespace

int main(int argc, char **argv)
{
    setvbuf(stdout, nullptr, _IOLBF, 0);  // keep stdout and stderr lines in order when both go to a pipe
    Args args;
    try {
        args.parse(argc, argv);
    }
    catch (const Error& e) {
        fprintf(stderr, "\n<!> Error: %s\n", e.what());
        return 1;
    }
    bool verbose = !args.given('s');
    bool useStderr = !args.given('m');
    if (verbose)
        printBanner();
    int exitCode;
    try {
        exitCode = runApp(args, verbose, useStderr);
    }
    catch (const Error& e) {
        fflush(stdout);
        fprintf(useStderr ? stderr : stdout, "\n<!> Error: %s\n", e.what());
        exitCode = 1;
    }
    if (verbose)
        printf("\nEnd.\n");
    return exitCode;
}
