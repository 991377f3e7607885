// Vec: one SIMD register of floats, the vector type every fast loop of the book is written against
// (the GEMM micro-kernel, im2col's row copies). The instruction set is chosen at compile time
// (meson's `native` option decides what the compiler may use):
//
//   AVX-512   16 floats, masked loads and stores in hardware
//   AVX2+FMA   8 floats, masked loads and stores through a lane mask
//   portable   4 floats as a GCC/Clang vector type, mapped onto SSE2 or NEON
//
// Vec::load(p, n) and store(p, n) touch only the first n lanes and never the memory past them,
// so a run of any length is whole vectors and one partial one, with no scalar clean-up loop.
#pragma once

#include <cstddef>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace dlfs::simd {

#if defined(__AVX512F__)

// One AVX-512 register: 16 floats. A partial load/store touches only the first n lanes (a mask),
// and never the memory past them, so ragged matrix edges need no scalar clean-up loop.
struct Vec {
  static constexpr int kWidth = 16;
  __m512 v;

  static Vec zero() { return {_mm512_setzero_ps()}; }
  static Vec broadcast(float x) { return {_mm512_set1_ps(x)}; }
  static Vec load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static Vec load(const float* p, int n) { return {_mm512_maskz_loadu_ps(mask(n), p)}; }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store(float* p, int n) const { _mm512_mask_storeu_ps(p, mask(n), v); }
  static __mmask16 mask(int n) { return __mmask16((1u << n) - 1u); }
};
inline Vec fma(Vec a, Vec b, Vec c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }  // a*b + c
inline Vec mul(Vec a, Vec b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline Vec add(Vec a, Vec b) { return {_mm512_add_ps(a.v, b.v)}; }
// The sum of the lanes. (GCC 12 warns falsely inside its own reduction intrinsic, which starts
// from an "undefined" register; the pragma silences that, and only that, here.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline float hsum(Vec a) { return _mm512_reduce_add_ps(a.v); }
#pragma GCC diagnostic pop

#elif defined(__AVX2__) && defined(__FMA__)

// One AVX2 register: 8 floats. AVX2 has masked loads and stores too, driven by a vector whose
// lanes are all-ones (keep) or zero (skip).
struct Vec {
  static constexpr int kWidth = 8;
  __m256 v;

  static Vec zero() { return {_mm256_setzero_ps()}; }
  static Vec broadcast(float x) { return {_mm256_set1_ps(x)}; }
  static Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static Vec load(const float* p, int n) { return {_mm256_maskload_ps(p, mask(n))}; }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store(float* p, int n) const { _mm256_maskstore_ps(p, mask(n), v); }
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
};
inline Vec fma(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
inline Vec mul(Vec a, Vec b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline Vec add(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
inline float hsum(Vec a) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));  // 8 -> 4
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));                                             // 4 -> 2
  return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));                            // 2 -> 1
}

#else

// Portable: four floats as a GCC/Clang vector type, which the compiler maps onto whatever SIMD
// the target has (SSE2, x86-64's baseline; NEON on ARM), with a*b + c as plain arithmetic.
// (A struct of float[4] with loops looks the same but is left in memory: 12 GFLOPS, not 44.)
struct Vec {
  static constexpr int kWidth = 4;
  typedef float F4 __attribute__((vector_size(16)));
  F4 v;

  static Vec zero() { return {F4{0.0f, 0.0f, 0.0f, 0.0f}}; }
  static Vec broadcast(float x) { return {F4{x, x, x, x}}; }
  static Vec load(const float* p) {
    F4 r;
    __builtin_memcpy(&r, p, sizeof r);
    return {r};
  }
  static Vec load(const float* p, int n) {
    Vec r = zero();
    for (int i = 0; i < n; ++i) r.v[i] = p[i];
    return r;
  }
  void store(float* p) const { __builtin_memcpy(p, &v, sizeof v); }
  void store(float* p, int n) const {
    for (int i = 0; i < n; ++i) p[i] = v[i];
  }
};
inline Vec fma(Vec a, Vec b, Vec c) { return {a.v * b.v + c.v}; }
inline Vec mul(Vec a, Vec b) { return {a.v * b.v}; }
inline Vec add(Vec a, Vec b) { return {a.v + b.v}; }
inline float hsum(Vec a) { return (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]); }  // halving, as the others

#endif

constexpr int kW = Vec::kWidth;

// Sum16: sixteen float lanes on every instruction set, for sums whose bits must not depend on the
// machine. A long sum kept in SIMD lanes rounds in an order set by the lane count: lane l adds the
// terms l, l + W, l + 2W, ..., and the lanes are added at the end. With W = 8 (AVX2) and W = 16
// (AVX-512) the same dot product comes out different in its last bit, and a training run that
// takes thousands of them differs in its fourth digit from one machine to the next. A Sum16 keeps
// sixteen lanes whatever W is (one AVX-512 register, two AVX2 ones, four portable ones), lane l
// always holding terms l, l + 16, l + 32, ..., and hsum adds them by halving (lane l + lane l+8,
// then l + l+4, l + l+2, l + l+1), the order every hsum above uses. So every machine with FMA adds
// the same products in the same order. (The portable a*b + c is fused only where the compiler
// targets FMA; elsewhere the bits differ anyway.)
struct Sum16 {
  static constexpr int kLanes = 16;
  static constexpr int kParts = kLanes / kW;
  Vec part[kParts];

  static Sum16 zero() {
    Sum16 s;
    for (Vec& v : s.part) v = Vec::zero();
    return s;
  }
  static Sum16 load(const float* p) {  // p[0, 16)
    Sum16 s;
    for (int i = 0; i < kParts; ++i) s.part[i] = Vec::load(p + i * kW);
    return s;
  }
  static Sum16 load(const float* p, int n) {  // p[0, n) for n < 16, the other lanes zero
    Sum16 s;
    for (int i = 0; i < kParts; ++i) {
      const int lanes = n - i * kW;
      s.part[i] = lanes >= kW ? Vec::load(p + i * kW) : lanes > 0 ? Vec::load(p + i * kW, lanes) : Vec::zero();
    }
    return s;
  }
};
inline Sum16 fma(const Sum16& a, const Sum16& b, Sum16 c) {
  for (int i = 0; i < Sum16::kParts; ++i) c.part[i] = fma(a.part[i], b.part[i], c.part[i]);
  return c;
}
inline float hsum(Sum16 s) {
  for (int half = Sum16::kParts / 2; half >= 1; half /= 2)
    for (int i = 0; i < half; ++i) s.part[i] = add(s.part[i], s.part[i + half]);
  return hsum(s.part[0]);
}

// The sum of term(i) for i < n in Sum16's order (term i in lane i % 16, the lanes added by
// halving), as plain loops the compiler vectorizes: for reductions outside the GEMM whose bits must
// not depend on the machine (batch normalization's statistics). An `omp simd reduction` would
// pick the lane count from the instruction set.
template <class Term>
float sum16(std::size_t n, Term term) {
  float lanes[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) lanes[l] += term(i + l);
  for (int l = 0; i + l < n; ++l) lanes[l] += term(i + l);
  for (int half = 8; half >= 1; half /= 2)
    for (int l = 0; l < half; ++l) lanes[l] += lanes[l + half];
  return lanes[0];
}

// dst[0, n) = src[0, n). For the short runs of small images (a 10-float row of LeNet's second
// convolution) a call to memmove costs more than the copy, and a scalar loop mispredicts its exit
// on every run of a new length; whole vectors and one masked vector do neither.
inline void copy_run(const float* src, std::size_t n, float* dst) {
  std::size_t j = 0;
  for (; j + kW <= n; j += kW) Vec::load(src + j).store(dst + j);
  if (j < n) Vec::load(src + j, int(n - j)).store(dst + j, int(n - j));
}

}  // namespace dlfs::simd
