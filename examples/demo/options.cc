#include "options.h"

#include "util.h"

static const OptionInfo options[] = {
    // implemented
    {"cmdenv-config-name", OptionType::STRING, false, ""},
    {"cmdenv-output-file", OptionType::FILENAME, false, "${resultdir}/${configname}-${iterationvarsf}#${repetition}.out"},
    {"cmdenv-performance-display", OptionType::BOOL, false, "true"},
    {"cmdenv-redirect-output", OptionType::BOOL, false, "false"},
    {"cmdenv-runs-to-execute", OptionType::STRING, false, ""},
    {"cmdenv-status-frequency", OptionType::TIME, false, "2s"},
    {"cmdenv-stop-batch-on-error", OptionType::BOOL, false, "true"},
    {"cpu-time-limit", OptionType::TIME, false, ""},
    {"description", OptionType::STRING, false, ""},
    {"experiment-label", OptionType::STRING, false, "${configname}"},
    {"extends", OptionType::STRING, false, ""},
    {"measurement-label", OptionType::STRING, false, "${iterationvars}"},
    {"network", OptionType::STRING, false, ""},
    {"output-scalar-file", OptionType::FILENAME, false, "${resultdir}/${configname}-${iterationvarsf}#${repetition}.sca"},
    {"output-scalar-precision", OptionType::INT, false, "14"},
    {"output-vector-file", OptionType::FILENAME, false, "${resultdir}/${configname}-${iterationvarsf}#${repetition}.vec"},
    {"output-vector-precision", OptionType::INT, false, "14"},
    {"param-recording", OptionType::BOOL, true, "true"},
    {"real-time-limit", OptionType::TIME, false, ""},
    {"repeat", OptionType::INT, false, "1"},
    {"replication-label", OptionType::STRING, false, "#${repetition}"},
    {"result-dir", OptionType::FILENAME, false, "results"},
    {"scalar-recording", OptionType::BOOL, true, "true"},
    {"seed-set", OptionType::INT, false, "${runnumber}"},
    {"sim-time-limit", OptionType::TIME, false, ""},
    {"vector-buffer", OptionType::BYTES, true, "1MiB"},
    {"vector-recording", OptionType::BOOL, true, "true"},
    // accepted and ignored: express mode is the only mode, there is no eventlog or debugger
    {"cmdenv-autoflush", OptionType::BOOL, false, "false"},
    {"cmdenv-express-mode", OptionType::BOOL, false, "true"},
    {"cmdenv-interactive", OptionType::BOOL, false, "false"},
    {"debug-on-errors", OptionType::BOOL, false, "false"},
    {"record-eventlog", OptionType::BOOL, false, "false"},
};

const OptionInfo *findOption(const std::string& name)
{
    for (const OptionInfo& o : options)
        if (name == o.name)
            return &o;
    return nullptr;
}

// Splits "a.b.c-d" into the part after the last dot; `dotted` tells if there was a dot.
static std::string lastSegment(const std::string& key, bool& dotted)
{
    size_t dot = key.rfind('.');
    dotted = dot != std::string::npos;
    return dotted ? key.substr(dot + 1) : key;
}

void checkIniKey(const std::string& key)
{
    bool dotted;
    std::string suffix = lastSegment(key, dotted);
    if (dotted && suffix.find('-') == std::string::npos)
        return;  // parameter assignment
    const OptionInfo *o = findOption(suffix);
    if (!o || o->perObject != dotted)
        throw Error("Unknown configuration option: " + key);
}

std::string normalizeCommandLineKey(const std::string& key)
{
    bool dotted;
    std::string suffix = lastSegment(key, dotted);
    if (dotted && suffix.find('-') == std::string::npos)
        return key;
    const OptionInfo *o = findOption(suffix);
    if (!o)
        throw Error("Unknown command-line configuration option --" + key);
    if (dotted && !o->perObject)
        throw Error("Invalid command-line configuration option --" + key + ": " + suffix + " is not a per-object option");
    return dotted || !o->perObject ? key : "**." + key;
}

bool isStringOption(const std::string& key)
{
    bool dotted;
    const OptionInfo *o = findOption(lastSegment(key, dotted));
    return o && (o->type == OptionType::STRING || o->type == OptionType::FILENAME);
}
