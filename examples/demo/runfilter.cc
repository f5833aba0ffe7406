#include "runfilter.h"

#include <cctype>
#include <cstdlib>

#include "expr.h"

namespace {

std::vector<int> parseRunList(const std::string& list, int numRuns)
{
    std::vector<int> runs;
    for (std::string item : splitTopLevel(list, ',')) {
        item = trim(item);
        size_t sep = item.find("..");
        size_t sepLength = 2;
        if (sep == std::string::npos)
            sep = item.find('-'), sepLength = 1;
        std::string from = trim(item.substr(0, sep));
        std::string to = sep == std::string::npos ? from : trim(item.substr(sep + sepLength));
        auto isNumber = [](const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; };
        if (!isNumber(from) || !isNumber(to) || atoi(from.c_str()) > atoi(to.c_str()))
            throw Error("Syntax error in run list '" + list + "'");
        for (int run = atoi(from.c_str()); run <= atoi(to.c_str()); run++) {
            if (run >= numRuns)
                throw Error(strprintf("Run number %d in run list '%s' is out of range 0..%d", run, list.c_str(), numRuns - 1));
            runs.push_back(run);
        }
    }
    return runs;
}

// Replaces $name and ${name} with the variable's value, like OMNeT++ does before
// evaluating a filter (the expanded text appears in its error messages).
std::string substituteDollarVariables(const std::string& text, const StringMap& vars)
{
    std::string result;
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] != '$') {
            result += text[i];
            continue;
        }
        bool braced = i + 1 < text.size() && text[i + 1] == '{';
        size_t start = i + (braced ? 2 : 1), end = start;
        while (end < text.size() && (isalnum((unsigned char)text[end]) || text[end] == '_'))
            end++;
        if (end == start) {
            result += text.substr(i, start - i);
            i = start - 1;
            continue;
        }
        std::string name = text.substr(start, end - start);
        auto it = vars.find(name);
        if (it == vars.end())
            throw Error("Unknown variable $" + name);
        result += it->second;
        i = braced && end < text.size() && text[end] == '}' ? end : end - 1;
    }
    return result;
}

class FilterContext : public ExprContext {
  public:
    explicit FilterContext(const StringMap& vars) : vars(vars) {}
    bool lookup(const std::string& name, bool dollar, Value& out) override
    {
        auto it = vars.find(name);
        if (!dollar || it == vars.end())
            return false;
        out = parseLiteralValue(it->second);
        return true;
    }
    double uniform01() override { throw Error("Random functions cannot be used in a run filter"); }

  private:
    const StringMap& vars;
};

}  // namespace

std::vector<int> resolveRunFilter(const Scenario& scenario, const std::string& filter)
{
    if (trim(filter).empty()) {
        std::vector<int> all;
        for (int i = 0; i < scenario.numRuns(); i++)
            all.push_back(i);
        return all;
    }
    if (filter.find_first_not_of("0123456789,.- ") == std::string::npos)
        return parseRunList(filter, scenario.numRuns());

    std::vector<int> runs;
    for (int run = 0; run < scenario.numRuns(); run++) {
        try {
            RunConfig rc = scenario.activate(run);
            std::string expanded = substituteDollarVariables(filter, rc.vars);
            try {
                // evaluate with $variables bound to values, so that values such as
                // "exponential(1s)" compare as strings instead of being re-parsed
                FilterContext ctx(rc.vars);
                Value v = Expression(filter).evaluate(ctx);
                if (v.kind != Value::BOOL)
                    throw Error("Boolean result expected");
                if (v.b)
                    runs.push_back(run);
            }
            catch (const Error& e) {
                throw Error("Cannot evaluate expression '" + expanded + "': " + e.what());
            }
        }
        catch (const Error& e) {
            throw Error(std::string("Cannot evaluate run filter: ") + e.what());
        }
    }
    return runs;
}
