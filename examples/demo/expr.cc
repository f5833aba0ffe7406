#include "expr.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

Value Value::number(double v, const std::string& unit)
{
    Value r;
    r.num = v;
    r.unit = unit;
    return r;
}

Value Value::string(const std::string& s)
{
    Value r;
    r.kind = STRING;
    r.str = s;
    return r;
}

Value Value::boolean(bool b)
{
    Value r;
    r.kind = BOOL;
    r.b = b;
    return r;
}

std::string Value::text() const
{
    switch (kind) {
        case NUMBER: return fmtg(num, 14) + unit;
        case STRING: return str;
        default: return b ? "true" : "false";
    }
}

namespace {

struct Unit {
    const char *name;
    double factor;
    const char *base;
};

const Unit units[] = {
    {"s", 1, "s"}, {"ms", 1e-3, "s"}, {"us", 1e-6, "s"}, {"ns", 1e-9, "s"}, {"ps", 1e-12, "s"},
    {"min", 60, "s"}, {"h", 3600, "s"}, {"d", 86400, "s"},
    {"B", 1, "B"}, {"KiB", 1024.0, "B"}, {"MiB", 1048576.0, "B"}, {"GiB", 1073741824.0, "B"},
    {"KB", 1e3, "B"}, {"MB", 1e6, "B"}, {"GB", 1e9, "B"},
};

Value makeQuantity(double v, const std::string& unit)
{
    if (unit.empty())
        return Value::number(v);
    for (const Unit& u : units)
        if (unit == u.name)
            return Value::number(v * u.factor, u.base);
    throw Error("Unknown unit '" + unit + "'");
}

// Parses a number plus optional unit at s[pos]; advances pos.
Value lexQuantity(const std::string& s, size_t& pos)
{
    const char *start = s.c_str() + pos;
    char *end;
    double v = strtod(start, &end);
    pos += end - start;
    size_t u = pos;
    while (pos < s.size() && isalpha((unsigned char)s[pos]))
        pos++;
    return makeQuantity(v, s.substr(u, pos - u));
}

using NodePtr = std::shared_ptr<const Expression::Node>;

}  // namespace

struct Expression::Node {
    virtual ~Node() = default;
    virtual Value eval(ExprContext& ctx) const = 0;
};

namespace {

struct Literal : Expression::Node {
    Value value;
    explicit Literal(Value v) : value(std::move(v)) {}
    Value eval(ExprContext&) const override { return value; }
};

struct Variable : Expression::Node {
    std::string name;
    bool dollar;
    Variable(std::string n, bool d) : name(std::move(n)), dollar(d) {}
    Value eval(ExprContext& ctx) const override
    {
        Value v;
        if (!ctx.lookup(name, dollar, v))
            throw Error("No such variable: '" + name + "'");
        return v;
    }
};

bool asBool(const Value& v)
{
    if (v.kind != Value::BOOL)
        throw Error("Boolean operand expected, got '" + v.text() + "'");
    return v.b;
}

const Value& asNumber(const Value& v)
{
    if (v.kind != Value::NUMBER)
        throw Error("Numeric operand expected, got '" + v.text() + "'");
    return v;
}

struct Unary : Expression::Node {
    char op;
    NodePtr operand;
    Unary(char o, NodePtr a) : op(o), operand(std::move(a)) {}
    Value eval(ExprContext& ctx) const override
    {
        Value v = operand->eval(ctx);
        if (op == '!')
            return Value::boolean(!asBool(v));
        Value r = asNumber(v);
        r.num = -r.num;
        return r;
    }
};

int compare(const Value& a, const Value& b)
{
    if (a.kind == Value::NUMBER && b.kind == Value::NUMBER)
        return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
    std::string x = a.text(), y = b.text();  // mixed or string operands compare as text
    return x < y ? -1 : x > y ? 1 : 0;
}

struct Binary : Expression::Node {
    std::string op;
    NodePtr left, right;
    Binary(std::string o, NodePtr l, NodePtr r) : op(std::move(o)), left(std::move(l)), right(std::move(r)) {}
    Value eval(ExprContext& ctx) const override
    {
        if (op == "&&")
            return Value::boolean(asBool(left->eval(ctx)) && asBool(right->eval(ctx)));
        if (op == "||")
            return Value::boolean(asBool(left->eval(ctx)) || asBool(right->eval(ctx)));
        Value a = left->eval(ctx), b = right->eval(ctx);
        if (op == "==") return Value::boolean(compare(a, b) == 0);
        if (op == "!=") return Value::boolean(compare(a, b) != 0);
        if (op == "<") return Value::boolean(compare(a, b) < 0);
        if (op == "<=") return Value::boolean(compare(a, b) <= 0);
        if (op == ">") return Value::boolean(compare(a, b) > 0);
        if (op == ">=") return Value::boolean(compare(a, b) >= 0);
        asNumber(a), asNumber(b);
        if (op == "+" || op == "-") {
            if (a.unit != b.unit)
                throw Error("Unit mismatch in '" + a.text() + op + b.text() + "'");
            return Value::number(op == "+" ? a.num + b.num : a.num - b.num, a.unit);
        }
        if (op == "*") {
            if (!a.unit.empty() && !b.unit.empty())
                throw Error("Cannot multiply two quantities with units");
            return Value::number(a.num * b.num, a.unit + b.unit);
        }
        // "/": a unit divided by the same unit cancels out
        if (!b.unit.empty() && b.unit != a.unit)
            throw Error("Unit mismatch in '" + a.text() + "/" + b.text() + "'");
        return Value::number(a.num / b.num, b.unit.empty() ? a.unit : "");
    }
};

struct Call : Expression::Node {
    std::string fn;
    std::vector<NodePtr> args;
    Call(std::string f, std::vector<NodePtr> a) : fn(std::move(f)), args(std::move(a)) {}

    Value eval(ExprContext& ctx) const override
    {
        std::vector<Value> v;
        for (const NodePtr& a : args)
            v.push_back(asNumber(a->eval(ctx)));
        auto expect = [&](size_t n) {
            if (v.size() != n)
                throw Error(strprintf("%s() expects %d argument(s)", fn.c_str(), (int)n));
        };
        // Own transforms instead of <random> distributions, whose algorithms differ between
        // standard libraries: results must be a pure function of the seed.
        if (fn == "exponential") {
            expect(1);
            return Value::number(-v[0].num * std::log(1.0 - ctx.uniform01()), v[0].unit);
        }
        if (fn == "uniform" || fn == "intuniform") {
            expect(2);
            if (v[0].unit != v[1].unit)
                throw Error(fn + "(): arguments must have the same unit");
            double u = ctx.uniform01();
            if (fn == "intuniform")
                return Value::number(std::floor(v[0].num + u * (std::floor(v[1].num) - v[0].num + 1)), v[0].unit);
            return Value::number(v[0].num + u * (v[1].num - v[0].num), v[0].unit);
        }
        if (fn == "normal" || fn == "truncnormal") {
            expect(2);
            for (;;) {
                double u1 = 1.0 - ctx.uniform01(), u2 = ctx.uniform01();  // u1 in (0,1]
                double x = v[0].num + v[1].num * std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
                if (fn == "normal" || x >= 0)
                    return Value::number(x, v[0].unit);
            }
        }
        throw Error("Unknown function '" + fn + "'");
    }
};

class Parser {
  public:
    explicit Parser(const std::string& s) : src(s) {}

    NodePtr parseAll()
    {
        NodePtr n = parseOr();
        skipSpace();
        if (pos != src.size())
            fail();
        return n;
    }

  private:
    const std::string& src;
    size_t pos = 0;

    [[noreturn]] void fail() { throw Error("Syntax error in expression '" + src + "'"); }
    void skipSpace()
    {
        while (pos < src.size() && isspace((unsigned char)src[pos]))
            pos++;
    }
    bool accept(const char *tok)
    {
        skipSpace();
        size_t n = strlen(tok);
        if (src.compare(pos, n, tok) != 0)
            return false;
        // do not take "<" out of "<=", or "!" out of "!="
        if (n == 1 && pos + 1 < src.size() && src[pos + 1] == '=' && strchr("<>!=", tok[0]))
            return false;
        pos += n;
        return true;
    }
    std::string identifier()
    {
        size_t b = pos;
        while (pos < src.size() && (isalnum((unsigned char)src[pos]) || src[pos] == '_'))
            pos++;
        return src.substr(b, pos - b);
    }

    NodePtr parseOr()
    {
        NodePtr n = parseAnd();
        while (accept("||"))
            n = std::make_shared<Binary>("||", n, parseAnd());
        return n;
    }
    NodePtr parseAnd()
    {
        NodePtr n = parseComparison();
        while (accept("&&"))
            n = std::make_shared<Binary>("&&", n, parseComparison());
        return n;
    }
    NodePtr parseComparison()
    {
        NodePtr n = parseSum();
        for (const char *op : {"==", "!=", "<=", ">=", "<", ">"})
            if (accept(op))
                return std::make_shared<Binary>(op, n, parseSum());
        return n;
    }
    NodePtr parseSum()
    {
        NodePtr n = parseProduct();
        for (;;) {
            if (accept("+"))
                n = std::make_shared<Binary>("+", n, parseProduct());
            else if (accept("-"))
                n = std::make_shared<Binary>("-", n, parseProduct());
            else
                return n;
        }
    }
    NodePtr parseProduct()
    {
        NodePtr n = parseUnary();
        for (;;) {
            if (accept("*"))
                n = std::make_shared<Binary>("*", n, parseUnary());
            else if (accept("/"))
                n = std::make_shared<Binary>("/", n, parseUnary());
            else
                return n;
        }
    }
    NodePtr parseUnary()
    {
        if (accept("-"))
            return std::make_shared<Unary>('-', parseUnary());
        if (accept("!"))
            return std::make_shared<Unary>('!', parseUnary());
        if (accept("+"))
            return parseUnary();
        return parsePrimary();
    }
    NodePtr parsePrimary()
    {
        skipSpace();
        if (pos == src.size())
            fail();
        char c = src[pos];
        if (accept("(")) {
            NodePtr n = parseOr();
            if (!accept(")"))
                fail();
            return n;
        }
        if (isdigit((unsigned char)c) || (c == '.' && pos + 1 < src.size() && isdigit((unsigned char)src[pos + 1])))
            return std::make_shared<Literal>(lexQuantity(src, pos));
        if (c == '"') {
            size_t end;
            std::string s = parseQuoted(src.substr(pos), end);
            pos += end;
            return std::make_shared<Literal>(Value::string(s));
        }
        if (c == '$') {
            pos++;
            bool braced = accept("{");
            std::string name = identifier();
            if (name.empty() || (braced && !accept("}")))
                fail();
            return std::make_shared<Variable>(name, true);
        }
        if (isalpha((unsigned char)c) || c == '_') {
            std::string name = identifier();
            if (name == "true" || name == "false")
                return std::make_shared<Literal>(Value::boolean(name == "true"));
            if (!accept("("))
                return std::make_shared<Variable>(name, false);
            std::vector<NodePtr> args;
            if (!accept(")")) {
                do
                    args.push_back(parseOr());
                while (accept(","));
                if (!accept(")"))
                    fail();
            }
            return std::make_shared<Call>(name, args);
        }
        fail();
    }
};

}  // namespace

Expression::Expression(const std::string& text) : source(trim(text))
{
    root = Parser(source).parseAll();
}

Value Expression::evaluate(ExprContext& ctx) const
{
    return root->eval(ctx);
}

Value parseLiteralValue(const std::string& text)
{
    std::string s = trim(text);
    if (!s.empty() && s[0] == '"') {
        std::string u = unquoteIfQuoted(s);
        if (u != s)
            return Value::string(u);
    }
    if (!s.empty() && (isdigit((unsigned char)s[0]) || s[0] == '-')) {
        try {
            size_t pos = 0;
            Value v = lexQuantity(s, pos);
            if (pos == s.size())
                return v;
        }
        catch (const Error&) {
            // not a quantity with a known unit: keep it as text
        }
    }
    return Value::string(s);
}

double parseSeconds(const std::string& text)
{
    Value v = parseLiteralValue(text);
    if (v.kind != Value::NUMBER || (v.unit != "s" && !v.unit.empty()))
        throw Error("Cannot parse '" + text + "' as a duration (e.g. 10s, 500ms, 90min, 2h)");
    return v.num;
}
