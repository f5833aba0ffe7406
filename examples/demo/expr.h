// A small expression language covering what the demo needs from NED expressions and
// run filters: numbers with units (1s, 90min, 4KiB), "strings", true/false, $variables,
// + - * /, comparisons, && || !, parentheses, and the random functions used as
// parameter values (exponential, uniform, normal, truncnormal, intuniform).
#pragma once

#include <memory>
#include <string>

#include "util.h"

struct Value {
    enum Kind { NUMBER, STRING, BOOL };
    Kind kind = NUMBER;
    double num = 0;
    std::string unit;  // NUMBER in base units: "" (dimensionless), "s" or "B"
    std::string str;
    bool b = false;

    static Value number(double v, const std::string& unit = "");
    static Value string(const std::string& s);
    static Value boolean(bool b);
    std::string text() const;  // for messages and mixed-type comparisons
};

// "<number>[<unit>]" becomes a NUMBER in base units, a string literal a STRING,
// anything else (e.g. "exponential(1s)") a STRING holding the text itself.
Value parseLiteralValue(const std::string& text);

// Converts a quantity like "10s", "90min", "1.5" (seconds) to seconds; throws Error.
double parseSeconds(const std::string& text);

class ExprContext {
  public:
    virtual ~ExprContext() = default;
    // Resolves `$name` (dollar=true) or a bare `name`; returns false if unknown.
    virtual bool lookup(const std::string& name, bool dollar, Value& out) = 0;
    // Next uniform [0,1) random number; contexts without randomness throw.
    virtual double uniform01() = 0;
};

class Expression {
  public:
    struct Node;
    explicit Expression(const std::string& text);  // throws Error on syntax errors
    Value evaluate(ExprContext& ctx) const;
    const std::string& text() const { return source; }

  private:
    std::string source;
    std::shared_ptr<const Node> root;
};
