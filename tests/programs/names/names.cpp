// C++ names for lineprof's tests: a namespace, a class template with two
// instances, two overloads, a lambda and the STL (std::sort,
// std::unordered_map, so that std::hash and std::equal_to each bring an
// operator() of their own). Each part works on a marked line.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace geo {

template <typename T> class Cloud {
public:
	explicit Cloud(int n) : pts(static_cast<size_t>(n))
	{
		for (int i = 0; i < n; i++)
			pts[static_cast<size_t>(i)] = T(i % 97) / T(7);
	}

	__attribute__((noinline)) T energy() const
	{
		T e = 0;

		for (size_t i = 0; i < pts.size(); i++)
			for (size_t j = 0; j < 64; j++)
				e += pts[i] * pts[(i + j) % pts.size()]; /* ENERGY */
		return e;
	}

private:
	std::vector<T> pts;
};

} // namespace geo

namespace text {

// Two overloads: the words of n generated ones, and of a string.
__attribute__((noinline)) long countWords(int n)
{
	long words = 0;

	for (int i = 0; i < n; i++)
		words += (i * 2654435761u) % 7 != 0; /* COUNT_INT */
	return words;
}

__attribute__((noinline)) long countWords(const std::string &s)
{
	long words = 0;

	for (size_t i = 1; i < s.size(); i++)
		words += s[i] == ' ' && s[i - 1] != ' '; /* COUNT_STR */
	return words;
}

} // namespace text

// Called with a constant: gcc clones it (scaled.constprop.0), and the clone is scaled.
__attribute__((noinline)) static double scaled(const std::vector<int> &v, double k)
{
	double s = 0;

	for (size_t i = 0; i < v.size(); i++)
		s += v[i] * k; /* SCALED */
	return s;
}

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;
	geo::Cloud<double> cd(20000);
	geo::Cloud<float> cf(20000);
	double total = 0;
	auto mix = [](int a, int b) {
		long m = 0;

		for (int i = 0; i < a; i++)
			m += (i ^ b) % 13; /* LAMBDA */
		return m;
	};
	// Parameter types the demangler spells its own way: lineprof names this
	// main::{lambda(std::__cxx11::basic_string<...> const&, char const*, unsigned long)#2}.
	auto tally = [](const std::string &w, const char *sep, unsigned long n) {
		unsigned long c = 0;

		for (unsigned long i = 0; i < n; i++)
			c += static_cast<unsigned long>(w[i % w.size()] == sep[0]); /* TALLY */
		return c;
	};
	std::unordered_map<std::string, int> seen;
	std::vector<int> v;
	std::string s;

	for (int i = 0; i < 40000; i++)
		s += (i % 5) ? "ab " : "cde  ";
	for (int r = 0; r < 20 * scale; r++) {
		total += cd.energy();
		total += cf.energy();
		total += static_cast<double>(text::countWords(2000000 + r));
		for (int k = 0; k < 8; k++) {
			s[static_cast<size_t>(k)] = (k + r) % 3 ? ' ' : 'x'; // no two calls alike
			total += static_cast<double>(text::countWords(s));
		}
		total += static_cast<double>(mix(2000000, r));
		total += static_cast<double>(tally(s, " ", 1000000));
		v.clear();
		for (int i = 0; i < 100000; i++)
			v.push_back(static_cast<int>((i * 2654435761u) % 100003));
		std::sort(v.begin(), v.end()); /* SORT */
		total += scaled(v, 0.5);
		for (int i = 0; i < 20000; i++)
			seen[std::to_string(i % 5000) + "-key"] += i; /* MAP */
	}
	printf("%.1f %zu %zu\n", total, seen.size(), v.size());
	return 0;
}
