#include "scenario.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

#include "expr.h"
#include "options.h"

namespace {

const char *const predefinedVariables[] = {
    "runid", "inifile", "configname", "runnumber", "network", "experiment", "measurement", "replication",
    "processid", "datetime", "datetimef", "resultdir", "repetition", "seedset", "iterationvars",
    "iterationvarsf", "iterationvarsd",
};

// One ${...} occurrence: a definition (${x=1,2}), an unnamed definition (${1,2}) or a reference (${x}).
struct VarSyntax {
    std::string name;    // empty for unnamed definitions
    std::string values;  // the value list of definitions
    bool isDefinition = false;
    size_t end = 0;      // index after the closing brace
};

VarSyntax parseVariable(const std::string& s, size_t pos)
{
    int depth = 0;
    size_t i = pos + 1;
    for (; i < s.size(); i++) {
        if (s[i] == '"') {
            size_t end;
            parseQuoted(s.substr(i), end);
            i += end - 1;
        }
        else if (s[i] == '{')
            depth++;
        else if (s[i] == '}' && --depth == 0)
            break;
    }
    if (i >= s.size())
        throw Error("Missing '}' for '${'");
    VarSyntax v;
    v.end = i + 1;
    std::string body = s.substr(pos + 2, i - pos - 2);
    size_t p = body.find_first_not_of(" \t");
    if (p != std::string::npos && (isalpha((unsigned char)body[p]) || body[p] == '_')) {
        size_t nameEnd = p;
        while (nameEnd < body.size() && (isalnum((unsigned char)body[nameEnd]) || body[nameEnd] == '_'))
            nameEnd++;
        std::string name = body.substr(p, nameEnd - p);
        size_t q = body.find_first_not_of(" \t", nameEnd);
        if (q == std::string::npos)
            v.name = name;  // ${x}
        else if (body[q] == '=' && body.compare(q, 2, "==") != 0) {
            v.name = name;
            v.values = body.substr(q + 1);
            v.isDefinition = true;
        }
        else if (body.find(',') != std::string::npos) {  // unnamed list starting with a word
            v.values = body.substr(p);
            v.isDefinition = true;
        }
        else
            throw Error("Missing '=' after '${" + name + "'");
    }
    else {
        v.values = body;
        v.isDefinition = true;
    }
    return v;
}

// "1..10 step 2" -> from, to, step; false if the item is not a numeric range.
bool parseRange(const std::string& item, double& from, double& to, double& step)
{
    const char *s = item.c_str();
    char *e;
    from = strtod(s, &e);
    if (e == s)
        return false;
    if (e[-1] == '.')
        e--;  // strtod took the first dot of ".."
    while (isspace((unsigned char)*e))
        e++;
    if (e[0] != '.' || e[1] != '.')
        return false;
    std::string syntax = "Error in numeric range syntax '" + item + "', <number>..<number> or <number>..<number> step <number> expected";
    s = e + 2;
    to = strtod(s, &e);
    if (e == s)
        throw Error(syntax);
    std::string rest = trim(e);
    step = 1;
    if (rest.empty())
        return true;
    if (!startsWith(rest, "step"))
        throw Error(syntax);
    s = rest.c_str() + 4;
    step = strtod(s, &e);
    if (e == s || step == 0 || !trim(e).empty())
        throw Error(syntax);
    return true;
}

std::vector<std::string> expandValues(const std::string& list)
{
    std::vector<std::string> values;
    for (std::string item : splitTopLevel(list, ',')) {
        item = trim(item);
        if (item.empty())
            throw Error("Empty value in the iteration list '" + list + "'");
        double from, to, step;
        if (!parseRange(item, from, to, step)) {
            values.push_back(item);
            continue;
        }
        // the epsilon keeps e.g. 0.3..0.8 step 0.1 from losing its last value to rounding
        int n = std::max(0, (int)std::floor((to - from + step) / step + 1e-9));
        for (int k = 0; k < n; k++)
            values.push_back(fmtg(from + step * k, 6));
    }
    return values;
}

std::string locationKey(int section, int entry, int k)
{
    return strprintf("%d:%d:%d", section, entry, k);
}

// Substitutes ${...} occurrences with variable values; definitions and unnamed lists
// are looked up through `unnamedAt` (nullptr: only references are allowed).
std::string substituteVars(const std::string& text, const StringMap& vars, const StringMap *unnamedAt, int section, int entry)
{
    std::string result = text;
    size_t pos = 0;
    for (int k = 0; (pos = result.find("${", pos)) != std::string::npos; k++) {
        VarSyntax v = parseVariable(result, pos);
        std::string name = v.name;
        if (name.empty()) {
            auto it = unnamedAt ? unnamedAt->find(locationKey(section, entry, k)) : StringMap::const_iterator();
            if (!unnamedAt || it == unnamedAt->end())
                throw Error("Iteration variables can only be defined in ini files: '" + text + "'");
            name = it->second;
        }
        auto it = vars.find(name);
        if (it == vars.end())
            throw Error("Unknown variable ${" + name + "} in '" + text + "'");
        result.replace(pos, v.end - pos, it->second);
        pos += it->second.size();
    }
    return result;
}

std::string currentDateTime()
{
    time_t now = time(nullptr);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y%m%d-%H:%M:%S", localtime(&now));
    return buf;
}

}  // namespace

Scenario::Scenario(const IniFile& ini, const std::vector<ConfigEntry>& commandLine, const std::string& configName)
    : ini(ini), configName(configName), commandLine(commandLine), sections(ini.chain(configName))
{
    int unnamedCount = 0;
    std::string repeat = "1";
    bool repeatFound = false;
    for (size_t s = 0; s < sections.size(); s++) {
        for (size_t e = 0; e < sections[s]->entries.size(); e++) {
            const IniEntry& entry = sections[s]->entries[e];
            if (entry.key == "repeat" && !repeatFound)
                repeat = entry.value, repeatFound = true;
            size_t pos = 0;
            for (int k = 0; (pos = entry.value.find("${", pos)) != std::string::npos; k++) {
                try {
                    VarSyntax v = parseVariable(entry.value, pos);
                    pos = v.end;
                    if (!v.isDefinition)
                        continue;
                    IterVar var{v.name, expandValues(v.values)};
                    if (var.name.empty()) {
                        var.name = std::to_string(unnamedCount++);
                        unnamedAt[locationKey(s, e, k)] = var.name;
                    }
                    for (const char *p : predefinedVariables)
                        if (var.name == p)
                            throw Error("${" + var.name + "} is a predefined variable and cannot be changed");
                    for (const IterVar& other : itervars)
                        if (other.name == var.name)
                            throw Error("Redefinition of iteration variable ${" + var.name + "}");
                    itervars.push_back(var);
                }
                catch (const Error& ex) {
                    throw Error(strprintf("Scenario generator: %s at %s=%s", ex.what(), entry.key.c_str(), entry.value.c_str()));
                }
            }
        }
    }
    Value n = parseLiteralValue(repeat);
    if (n.kind != Value::NUMBER || n.num < 1 || n.num != std::floor(n.num))
        throw Error("Invalid value for 'repeat': " + repeat);
    IterVar repetition{"repetition", {}};
    for (int i = 0; i < (int)n.num; i++)
        repetition.values.push_back(std::to_string(i));
    itervars.push_back(repetition);
    for (const IterVar& v : itervars)
        runCount *= (int)v.values.size();
}

std::vector<std::string> Scenario::assignment(int run) const
{
    std::vector<std::string> values(itervars.size());
    for (int i = (int)itervars.size() - 1; i >= 0; i--) {
        int n = (int)itervars[i].values.size();
        values[i] = itervars[i].values[run % n];
        run /= n;
    }
    return values;
}

std::string Scenario::runInfo(int run) const
{
    std::vector<std::string> values = assignment(run);
    std::string info;
    for (size_t i = 0; i < itervars.size(); i++)
        info += (i ? ", $" : "$") + itervars[i].name + "=" + values[i];
    return info;
}

std::string Scenario::substitute(const std::string& text, int section, int entry, const StringMap& vars) const
{
    return substituteVars(text, vars, &unnamedAt, section, entry);
}

std::string Scenario::rawOption(const std::string& name, const StringMap& vars) const
{
    for (const ConfigEntry& e : commandLine)
        if (e.key == name)
            return unquoteIfQuoted(substitute(e.value, -1, -1, vars));
    for (size_t s = 0; s < sections.size(); s++)
        for (size_t e = 0; e < sections[s]->entries.size(); e++)
            if (sections[s]->entries[e].key == name)
                return unquoteIfQuoted(substitute(sections[s]->entries[e].value, s, e, vars));
    return substitute(findOption(name)->defaultValue, -1, -1, vars);
}

std::string Scenario::configBrief(int run) const
{
    RunConfig rc = activate(run);
    std::string brief;
    for (size_t s = 0; s < sections.size(); s++)
        for (size_t e = 0; e < sections[s]->entries.size(); e++) {
            const IniEntry& entry = sections[s]->entries[e];
            if (entry.value.find("${") != std::string::npos)
                brief += entry.key + " = " + substitute(entry.value, s, e, rc.vars) + "\n";
        }
    return brief;
}

RunConfig Scenario::activate(int run) const
{
    RunConfig rc;
    StringMap& v = rc.vars;
    std::vector<std::string> values = assignment(run);
    std::string iterationvars, iterationvarsf, iterationvarsd;
    for (size_t i = 0; i < itervars.size(); i++) {
        const std::string& name = itervars[i].name;
        v[name] = values[i];
        if (name == "repetition")
            continue;
        rc.itervars[name] = values[i];
        iterationvars += (iterationvars.empty() ? "$" : ", $") + name + "=" + values[i];
        // unnamed variables ($0, $1, ...) contribute only their value to file names
        std::string segment = (isalpha((unsigned char)name[0]) ? name + "=" : "") + filenameEncode(unquoteIfQuoted(values[i]));
        iterationvarsf += (iterationvarsf.empty() ? "" : ",") + segment;
        iterationvarsd += (iterationvarsd.empty() ? "" : "/") + segment;
    }
    v["iterationvars"] = iterationvars;
    v["iterationvarsf"] = iterationvarsf.empty() ? "" : iterationvarsf + "-";
    v["iterationvarsd"] = iterationvarsd;
    v["inifile"] = ini.primaryFile();
    v["configname"] = configName;
    v["runnumber"] = std::to_string(run);
    v["network"] = rawOption("network", v);
    v["processid"] = std::to_string(getpid());
    v["datetime"] = currentDateTime();
    std::string datetimef = v["datetime"];
    datetimef.erase(std::remove(datetimef.begin(), datetimef.end(), ':'), datetimef.end());
    v["datetimef"] = datetimef;
    v["runid"] = configName + "-" + v["runnumber"] + "-" + v["datetime"] + "-" + v["processid"];
    v["resultdir"] = rawOption("result-dir", v);
    Value seed = parseLiteralValue(rawOption("seed-set", v));
    if (seed.kind != Value::NUMBER || seed.num != std::floor(seed.num))
        throw Error("Invalid value for 'seed-set': " + rawOption("seed-set", v));
    v["seedset"] = std::to_string((long long)seed.num);
    v["experiment"] = rawOption("experiment-label", v);
    v["measurement"] = rawOption("measurement-label", v);
    v["replication"] = rawOption("replication-label", v);

    for (const ConfigEntry& e : commandLine)
        rc.entries.push_back({e.key, substitute(e.value, -1, -1, v), e.baseDir});
    for (size_t s = 0; s < sections.size(); s++)
        for (size_t e = 0; e < sections[s]->entries.size(); e++) {
            const IniEntry& entry = sections[s]->entries[e];
            rc.entries.push_back({entry.key, substitute(entry.value, s, e, v), entry.baseDir});
        }
    rc.defaultBaseDir = directoryOf(ini.primaryFile());
    return rc;
}

const ConfigEntry *RunConfig::find(const std::string& key) const
{
    for (const ConfigEntry& e : entries)
        if (e.key == key)
            return &e;
    return nullptr;
}

std::string RunConfig::get(const std::string& option) const
{
    if (const ConfigEntry *e = find(option))
        return isStringOption(option) ? unquoteIfQuoted(e->value) : e->value;
    return substituteVars(findOption(option)->defaultValue, vars, nullptr, -1, -1);
}

static bool parseBool(const std::string& value, const std::string& option)
{
    if (value == "true")
        return true;
    if (value == "false")
        return false;
    throw Error("Cannot parse '" + value + "' as bool, for option '" + option + "'");
}

bool RunConfig::getBool(const std::string& option) const
{
    return parseBool(get(option), option);
}

long RunConfig::getInt(const std::string& option) const
{
    Value v = parseLiteralValue(get(option));
    if (v.kind != Value::NUMBER || !v.unit.empty() || v.num != std::floor(v.num))
        throw Error("Cannot parse '" + get(option) + "' as integer, for option '" + option + "'");
    return (long)v.num;
}

double RunConfig::getSeconds(const std::string& option) const
{
    std::string value = get(option);
    return value.empty() ? -1 : parseSeconds(value);
}

std::string RunConfig::getPerObject(const std::string& objectPath, const std::string& option) const
{
    std::string suffix = "." + option;
    for (const ConfigEntry& e : entries)
        if (endsWith(e.key, suffix) && matchPattern(e.key.substr(0, e.key.size() - suffix.size()), objectPath))
            return e.value;
    return findOption(option)->defaultValue;
}

const ConfigEntry *RunConfig::findParam(const std::string& paramPath) const
{
    for (const ConfigEntry& e : entries) {
        size_t dot = e.key.rfind('.');
        if (dot != std::string::npos && e.key.find('-', dot) == std::string::npos && matchPattern(e.key, paramPath))
            return &e;
    }
    return nullptr;
}

std::string RunConfig::resolveFile(const std::string& option) const
{
    // An explicit entry is relative to where it was given; the defaults (${resultdir}/...)
    // are relative to where result-dir was given: the ini file's directory, or the working
    // directory for --result-dir.
    const ConfigEntry *e = find(option);
    if (!e)
        e = find("result-dir");
    std::string baseDir = e ? e->baseDir : defaultBaseDir;
    return concatPath(baseDir, get(option));
}

std::vector<std::pair<std::string, std::string>> RunConfig::recordedEntries() const
{
    std::vector<std::pair<std::string, std::string>> result;
    for (const ConfigEntry& e : entries)
        result.emplace_back(e.key, isStringOption(e.key) ? unquoteIfQuoted(e.value) : e.value);
    return result;
}
