;; The element-wise half of an LSTM step, and of attention, in WebAssembly SIMD, on TensorFlow.js's
;; wasm heap (src/backend/lstm-kernels.ts and attention-kernels.ts run it between the matrix products
;; of gemm.wat). Assembled into lstm-wasm.ts by `npm run wasm` (wabt), also with the memory imported
;; as shared (for the threads of src/backend/threads.ts); a unit test checks the two agree.
;;
;; Gates are stored per row as four blocks of H: [f | i | o | g] (src/nn/lstm.ts's order). Addresses
;; are in bytes; every [B, H] array is row-major with row stride H, every [B, 4H] one with 4H.
;; H must be a multiple of 4.
;;
;;   fwd   z holds z_t = x_t W_x + h_{t-1} W_h + b; it is overwritten with σ(f), σ(i), σ(o), tanh(g)
;;         (what the backward pass needs), and
;;           c_t = f ∘ c_{t-1} + i ∘ g,   tanh(c_t),   h_t = o ∘ tanh(c_t)
;;         are written to c, tc, h.
;;   bwd   from those activations, c_{t-1}, tanh(c_t), the incoming dL/dh_t (dy + dhn) and the running
;;         dL/dc (dc, updated in place to dL/dc_{t-1}), writes dL/dz_t to dz:
;;           dh  = dy + dhn
;;           dc' = dc + dh ∘ o ∘ (1 - tanh²(c_t))
;;           dz_f = dc' ∘ c_{t-1} ∘ f(1-f)   dz_i = dc' ∘ g ∘ i(1-i)
;;           dz_o = dh ∘ tanh(c_t) ∘ o(1-o)  dz_g = dc' ∘ i ∘ (1-g²)     dc ← dc' ∘ f
;;         Both take U units of each row (U = H, or a thread's share: the pointers then start at its first unit).
;;   colsum  out[j] = Σ_r x[r·ld + j] (the bias gradient), cols a multiple of 4.
;;   softmax, softmax_grad  attention's row softmax of scaled scores, causal or not, and its gradient.
;;   gelu, layernorm, layernorm_grad  GPT's GELU (forward and gradient) and LayerNorm (src/backend/norm-kernels.ts).
;;   exp, sigmoid, tanh  element-wise over n floats (n a multiple of 4): exp is also the wasm backend's
;;         Exp kernel (src/backend/wasm-kernels.ts; softmax's), which finishes lanes outside [-87, 88].
;;
;; exp is Cephes' expf in four lanes: n = round(x·log₂e), r = x - n·ln2 in two parts, a degree-6
;; polynomial for e^r, 2^n built in the exponent bits; about 1 ulp on the clamped range [-87, 88].
;; σ(x) = 1 / (1 + e^-x); tanh(x) = 1 - 2 / (1 + e^2x) (absolute error about 1e-7 near 0, where the
;; relative error of any 1 - … form grows).
(module
  (import "env" "memory" (memory 1))

  ;; out[k] = f(x[k]) for k < n (n a multiple of 4; out may be x) with f by kind:
  ;;   0  e^x            1  σ(x) = 1 / (1 + e^-x)            2  tanh(x) = 1 - 2 / (1 + e^2x)
  ;; σ and tanh are A - B / (1 + e^(S·x)) with (A, B, S) = (0, -1, -1) and (1, 2, 2). One loop holds
  ;; the exp inline (V8 does not inline wasm calls), so each kind costs one call per array.
  ;; Returns 1 if any x was outside [-87, 88] or NaN (its result then is the clamped one's).
  (func $map (param $x i32) (param $out i32) (param $n i32) (param $kind i32) (result i32)
    (local $k i32) (local $v v128) (local $e v128) (local $r v128) (local $p v128) (local $t v128) (local $wide v128)
    (local $A v128) (local $B v128) (local $S v128)
    (local.set $A (v128.const f32x4 0 0 0 0)) (local.set $B (v128.const f32x4 -1 -1 -1 -1)) (local.set $S (v128.const f32x4 1 1 1 1))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then (local.set $S (v128.const f32x4 -1 -1 -1 -1))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then
      (local.set $A (v128.const f32x4 1 1 1 1)) (local.set $B (v128.const f32x4 2 2 2 2)) (local.set $S (v128.const f32x4 2 2 2 2))))
    (local.set $n (i32.shl (local.get $n) (i32.const 2)))
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $v (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $S)))
      ;; e = e^v, clamped to [-87, 88]: n = round(v·log₂e), r = v - n·ln2 (ln 2 in two parts, the
      ;; first product exact), e^r by a degree-6 polynomial, 2^n put in the exponent bits. The
      ;; clamp is pmin/pmax (one instruction each; min/max are several in V8, for their NaN rules;
      ;; a NaN stays NaN either way) and marks lanes it changed (or NaN) as wide.
      (local.set $t (f32x4.pmax (f32x4.pmin (local.get $v) (v128.const f32x4 88 88 88 88)) (v128.const f32x4 -87 -87 -87 -87)))
      (local.set $wide (v128.or (local.get $wide) (f32x4.ne (local.get $v) (local.get $t))))
      (local.set $v (local.get $t))
      (local.set $t (f32x4.add (f32x4.mul (local.get $v) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
        (v128.const f32x4 12582912 12582912 12582912 12582912))) ;; + 1.5·2^23: rounded to an integer (ties to even), n in its low bits
      (local.set $e (f32x4.sub (local.get $t) (v128.const f32x4 12582912 12582912 12582912 12582912))) ;; n = nearest(v·log₂e)
      (local.set $r (f32x4.sub (local.get $v) (f32x4.mul (local.get $e) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $e) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))))
      (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $p)
        (i32x4.shl (i32x4.add (local.get $t) (v128.const i32x4 127 127 127 127)) (i32.const 23)))) ;; 2^n: (n + 127) << 23 (t's high bits shift out)
      (if (local.get $kind) (then
        (local.set $e (f32x4.sub (local.get $A) (f32x4.div (local.get $B) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))))))
      (v128.store (i32.add (local.get $out) (local.get $k)) (local.get $e))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $loop)))
    (v128.any_true (local.get $wide)))

  (func (export "exp") (param $x i32) (param $out i32) (param $n i32) (result i32) (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 0)))
  (func (export "sigmoid") (param $x i32) (param $out i32) (param $n i32) (drop (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 1))))
  (func (export "tanh") (param $x i32) (param $out i32) (param $n i32) (drop (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 2))))

  ;; fwd and bwd work on U hidden units of every row (U = H: all of them; less when threads share the
  ;; units out, src/backend/threads.ts): the pointers are offset to the first unit, rows keep their
  ;; full strides (4H floats in z, act, dz; H in the others).
  (func (export "fwd") (param $z i32) (param $cprev i32) (param $c i32) (param $tc i32) (param $h i32) (param $B i32) (param $H i32) (param $U i32)
    (local $h4 i32) (local $u4 i32) (local $row i32) (local $j i32) (local $pz i32) (local $ps i32)
    (local $t v128)
    (local.set $h4 (i32.shl (local.get $H) (i32.const 2))) ;; bytes per block of H
    (local.set $u4 (i32.shl (local.get $U) (i32.const 2)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $row) (local.get $B)))
      ;; gates: σ over the row's f, i, o units, tanh over its g units, in place
      (local.set $pz (i32.add (local.get $z) (i32.mul (local.get $row) (i32.shl (local.get $h4) (i32.const 2)))))
      (drop (call $map (local.get $pz) (local.get $pz) (local.get $U) (i32.const 1)))
      (drop (call $map (i32.add (local.get $pz) (local.get $h4)) (i32.add (local.get $pz) (local.get $h4)) (local.get $U) (i32.const 1)))
      (drop (call $map (i32.add (local.get $pz) (i32.shl (local.get $h4) (i32.const 1))) (i32.add (local.get $pz) (i32.shl (local.get $h4) (i32.const 1))) (local.get $U) (i32.const 1)))
      (drop (call $map (i32.add (local.get $pz) (i32.mul (local.get $h4) (i32.const 3))) (i32.add (local.get $pz) (i32.mul (local.get $h4) (i32.const 3))) (local.get $U) (i32.const 2)))
      ;; c_t = f ∘ c_{t-1} + i ∘ g, into c and tc (tc becomes tanh(c_t) next); then h_t = o ∘ tanh(c_t)
      (local.set $ps (i32.mul (local.get $row) (local.get $h4)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $u4)))
        (local.set $t (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $pz) (local.get $j))) (v128.load (i32.add (local.get $cprev) (i32.add (local.get $ps) (local.get $j)))))
          (f32x4.mul (v128.load (i32.add (i32.add (local.get $pz) (local.get $h4)) (local.get $j)))
            (v128.load (i32.add (i32.add (local.get $pz) (i32.mul (local.get $h4) (i32.const 3))) (local.get $j))))))
        (v128.store (i32.add (local.get $c) (i32.add (local.get $ps) (local.get $j))) (local.get $t))
        (v128.store (i32.add (local.get $tc) (i32.add (local.get $ps) (local.get $j))) (local.get $t))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (drop (call $map (i32.add (local.get $tc) (local.get $ps)) (i32.add (local.get $tc) (local.get $ps)) (local.get $U) (i32.const 2)))
      (local.set $j (i32.const 0))
      (block $kend (loop $kloop
        (br_if $kend (i32.ge_u (local.get $j) (local.get $u4)))
        (v128.store (i32.add (local.get $h) (i32.add (local.get $ps) (local.get $j)))
          (f32x4.mul (v128.load (i32.add (i32.add (local.get $pz) (i32.shl (local.get $h4) (i32.const 1))) (local.get $j)))
            (v128.load (i32.add (local.get $tc) (i32.add (local.get $ps) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $kloop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rloop))))

  (func (export "bwd") (param $act i32) (param $cprev i32) (param $tc i32) (param $dy i32) (param $dhn i32) (param $dc i32) (param $dz i32) (param $B i32) (param $H i32) (param $U i32)
    (local $h4 i32) (local $u4 i32) (local $row i32) (local $j i32) (local $pz i32) (local $ps i32)
    (local $f v128) (local $i v128) (local $o v128) (local $g v128) (local $t v128)
    (local $dh v128) (local $dct v128) (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $h4 (i32.shl (local.get $H) (i32.const 2)))
    (local.set $u4 (i32.shl (local.get $U) (i32.const 2)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $row) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $u4)))
        (local.set $pz (i32.add (i32.mul (local.get $row) (i32.shl (local.get $h4) (i32.const 2))) (local.get $j)))
        (local.set $ps (i32.add (i32.mul (local.get $row) (local.get $h4)) (local.get $j)))
        (local.set $f (v128.load (i32.add (local.get $act) (local.get $pz))))
        (local.set $i (v128.load (i32.add (i32.add (local.get $act) (local.get $pz)) (local.get $h4))))
        (local.set $o (v128.load (i32.add (i32.add (local.get $act) (local.get $pz)) (i32.shl (local.get $h4) (i32.const 1)))))
        (local.set $g (v128.load (i32.add (i32.add (local.get $act) (local.get $pz)) (i32.mul (local.get $h4) (i32.const 3)))))
        (local.set $t (v128.load (i32.add (local.get $tc) (local.get $ps))))
        (local.set $dh (f32x4.add (v128.load (i32.add (local.get $dy) (local.get $ps))) (v128.load (i32.add (local.get $dhn) (local.get $ps)))))
        (local.set $dct (f32x4.add (v128.load (i32.add (local.get $dc) (local.get $ps)))
          (f32x4.mul (f32x4.mul (local.get $dh) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $t) (local.get $t))))))
        (v128.store (i32.add (local.get $dz) (local.get $pz))
          (f32x4.mul (f32x4.mul (local.get $dct) (v128.load (i32.add (local.get $cprev) (local.get $ps))))
            (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
        (v128.store (i32.add (i32.add (local.get $dz) (local.get $pz)) (local.get $h4))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $g))
            (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
        (v128.store (i32.add (i32.add (local.get $dz) (local.get $pz)) (i32.shl (local.get $h4) (i32.const 1)))
          (f32x4.mul (f32x4.mul (local.get $dh) (local.get $t))
            (f32x4.mul (local.get $o) (f32x4.sub (local.get $one) (local.get $o)))))
        (v128.store (i32.add (i32.add (local.get $dz) (local.get $pz)) (i32.mul (local.get $h4) (i32.const 3)))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $i))
            (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (local.get $dc) (local.get $ps)) (f32x4.mul (local.get $dct) (local.get $f)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rloop))))

  ;; out[j] = Σ_r x[r·ld + j] for j < cols (cols a multiple of 4; ld in floats)
  (func (export "colsum") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $ld i32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $px i32) (local $ld4 i32)
    (local.set $c4 (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $ld4 (i32.shl (local.get $ld) (i32.const 2)))
    (block $zend (loop $zloop
      (br_if $zend (i32.ge_u (local.get $j) (local.get $c4)))
      (v128.store (i32.add (local.get $out) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $zloop)))
    (local.set $px (local.get $x))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $c4)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $out) (local.get $j))) (v128.load (i32.add (local.get $px) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $px (i32.add (local.get $px) (local.get $ld4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; Attention's softmax over rows of scores (src/backend/attention-kernels.ts): for each of `rows`
  ;; rows of s (row stride ld floats, cols a multiple of 4), in place,
  ;;   s[j] ← exp(scale·(s[j] − max)) / Σ exp(…)    over j < n,   s[j] ← 0 for n ≤ j < cols,
  ;; n = cols, or with causal ≠ 0 n = min(cols, row0 + r + 1) for the r-th row (query row0 + r sees
  ;; keys 0 .. row0 + r). scale > 0, so the largest scaled score is scale·max. Entries j ≥ n are
  ;; never read for the result (they may hold anything finite or not).
  (func (export "softmax") (param $s i32) (param $rows i32) (param $cols i32) (param $ld i32) (param $scale f32) (param $causal i32) (param $row0 i32)
    (local $r i32) (local $p i32) (local $n i32) (local $n4 i32) (local $j i32) (local $m f32)
    (local $mv v128) (local $sc v128) (local $sum v128) (local $tot f32)
    (local.set $sc (f32x4.splat (local.get $scale)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $p (i32.add (local.get $s) (i32.shl (i32.mul (local.get $r) (local.get $ld)) (i32.const 2))))
      (local.set $n (local.get $cols))
      (if (local.get $causal) (then
        (if (i32.lt_u (i32.add (i32.add (local.get $row0) (local.get $r)) (i32.const 1)) (local.get $cols))
          (then (local.set $n (i32.add (i32.add (local.get $row0) (local.get $r)) (i32.const 1)))))))
      ;; the row's largest score: four lanes over whole vectors, then the rest one by one
      (local.set $mv (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $j (i32.const 0))
      (block $mend (loop $mloop
        (br_if $mend (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $mv (f32x4.max (local.get $mv) (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $mloop)))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mv)) (f32x4.extract_lane 1 (local.get $mv)))
                             (f32.max (f32x4.extract_lane 2 (local.get $mv)) (f32x4.extract_lane 3 (local.get $mv)))))
      (block $tend (loop $tloop
        (br_if $tend (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $m (f32.max (local.get $m) (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tloop)))
      ;; scale·(s − max) over whole vectors up to n rounded up, exp in place (lstm's $map)
      (local.set $n4 (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $j (i32.const 0))
      (block $xend (loop $xloop
        (br_if $xend (i32.ge_u (local.get $j) (local.get $n4)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mv)) (local.get $sc)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $xloop)))
      (drop (call $map (local.get $p) (local.get $p) (local.get $n4) (i32.const 0)))
      ;; zeros from n on (one by one to the vector boundary, then whole vectors)
      (local.set $j (local.get $n))
      (block $z1end (loop $z1loop
        (br_if $z1end (i32.ge_u (local.get $j) (local.get $n4)))
        (f32.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $z1loop)))
      (block $z2end (loop $z2loop
        (br_if $z2end (i32.ge_u (local.get $j) (local.get $cols)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $z2loop)))
      ;; normalise
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $send (loop $sloop
        (br_if $send (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $sum (f32x4.add (local.get $sum) (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $sloop)))
      (local.set $tot (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
                               (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
      (local.set $mv (f32x4.splat (f32.div (f32.const 1) (local.get $tot))))
      (local.set $j (i32.const 0))
      (block $nend (loop $nloop
        (br_if $nend (i32.ge_u (local.get $j) (local.get $n4)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mv)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $nloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; The gradient through that softmax and its scale, in place in d (row stride ld, cols a multiple of 4):
  ;;   d[j] ← scale · a[j] · (d[j] − Σ_k a[k] d[k])      a = softmax's output (0 where masked; d finite)
  (func (export "softmax_grad") (param $a i32) (param $d i32) (param $rows i32) (param $cols i32) (param $ld i32) (param $scale f32)
    (local $r i32) (local $j i32) (local $pa i32) (local $pd i32) (local $dot v128) (local $sc v128) (local $x v128) (local $av v128)
    (local.set $sc (f32x4.splat (local.get $scale)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $ld)) (i32.const 2))))
      (local.set $pd (i32.add (local.get $d) (i32.shl (i32.mul (local.get $r) (local.get $ld)) (i32.const 2))))
      (local.set $dot (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $dend (loop $dloop
        (br_if $dend (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $dot (f32x4.add (local.get $dot)
          (f32x4.mul (v128.load (i32.add (local.get $pa) (i32.shl (local.get $j) (i32.const 2)))) (v128.load (i32.add (local.get $pd) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $dloop)))
      (local.set $x (f32x4.add (local.get $dot) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dot) (local.get $dot))))
      (local.set $dot (f32x4.add (local.get $x) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $x) (local.get $x))))
      (local.set $j (i32.const 0))
      (block $gend (loop $gloop
        (br_if $gend (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $av (v128.load (i32.add (local.get $pa) (i32.shl (local.get $j) (i32.const 2)))))
        (v128.store (i32.add (local.get $pd) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.mul (local.get $av) (local.get $sc))
            (f32x4.sub (v128.load (i32.add (local.get $pd) (i32.shl (local.get $j) (i32.const 2)))) (local.get $dot))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $gloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; GPT-2's GELU in its sigmoid form (src/nn/gelu.ts), over n floats (a multiple of 4):
  ;;   dy = 0:  out = x·σ(u)                                        u = K(x + A x³), K = 2√(2/π), A = 0.044715
  ;;   else:    out = dy · (σ(u) + x·σ(u)(1 − σ(u))·K(1 + 3A x²))  (the gradient; nothing else is saved for it)
  ;; σ(u) = 1 / (1 + e^-u) with $map's exp, inline.
  (func (export "gelu") (param $x i32) (param $dy i32) (param $out i32) (param $n i32)
    (local $k i32) (local $xv v128) (local $x2 v128) (local $v v128) (local $e v128) (local $r v128) (local $p v128) (local $s v128) (local $t v128)
    (local.set $n (i32.shl (local.get $n) (i32.const 2)))
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $k))))
      (local.set $x2 (f32x4.mul (local.get $xv) (local.get $xv)))
      ;; v = -u = -K·x·(1 + A x²)
      (local.set $v (f32x4.mul (f32x4.mul (local.get $xv) (v128.const f32x4 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308))
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $x2) (v128.const f32x4 0.044715 0.044715 0.044715 0.044715)))))
      (local.set $v (f32x4.pmax (f32x4.pmin (local.get $v) (v128.const f32x4 88 88 88 88)) (v128.const f32x4 -87 -87 -87 -87)))
      (local.set $t (f32x4.add (f32x4.mul (local.get $v) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
        (v128.const f32x4 12582912 12582912 12582912 12582912))) ;; + 1.5·2^23: rounded to an integer (ties to even), n in its low bits
      (local.set $e (f32x4.sub (local.get $t) (v128.const f32x4 12582912 12582912 12582912 12582912))) ;; n = nearest(v·log₂e)
      (local.set $r (f32x4.sub (local.get $v) (f32x4.mul (local.get $e) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $e) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))))
      (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
      (local.set $e (f32x4.mul (local.get $p)
        (i32x4.shl (i32x4.add (local.get $t) (v128.const i32x4 127 127 127 127)) (i32.const 23)))) ;; 2^n: (n + 127) << 23 (t's high bits shift out)
      (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
      (if (local.get $dy)
        (then
          (v128.store (i32.add (local.get $out) (local.get $k))
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $k)))
              (f32x4.add (local.get $s)
                (f32x4.mul (f32x4.mul (local.get $xv) (f32x4.mul (local.get $s) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))
                  (f32x4.add (v128.const f32x4 1.5957691216057308 1.5957691216057308 1.5957691216057308 1.5957691216057308)
                    (f32x4.mul (local.get $x2) (v128.const f32x4 0.21406444881780073 0.21406444881780073 0.21406444881780073 0.21406444881780073))))))))  ;; 3AK
        (else (v128.store (i32.add (local.get $out) (local.get $k)) (f32x4.mul (local.get $xv) (local.get $s)))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $loop))))

  ;; LayerNorm over rows of C floats (C a multiple of 4; src/nn/layer-norm.ts), as PyTorch's:
  ;;   x̂ = (x − mean) · rstd,  rstd = 1/√(var + eps),  y = x̂ · g + b
  ;; writing y, x̂ and rstd (one per row) for the gradient.
  (func (export "layernorm") (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $xhat i32) (param $rstd i32) (param $rows i32) (param $C i32) (param $eps f32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $px i32) (local $po i32) (local $acc v128) (local $m v128) (local $d v128) (local $rs v128) (local $mean f32) (local $t f32)
    (local.set $c4 (i32.shl (local.get $C) (i32.const 2)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $px (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $c4))))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $send (loop $sloop
        (br_if $send (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $px) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $sloop)))
      (local.set $mean (f32.div (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))) (f32.convert_i32_u (local.get $C))))
      (local.set $m (f32x4.splat (local.get $mean)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $vend (loop $vloop
        (br_if $vend (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $j))) (local.get $m)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
      (local.set $t (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))) (f32.convert_i32_u (local.get $C))) (local.get $eps)))))
      (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2))) (local.get $t))
      (local.set $rs (f32x4.splat (local.get $t)))
      (local.set $po (i32.mul (local.get $r) (local.get $c4)))
      (local.set $j (i32.const 0))
      (block $nend (loop $nloop
        (br_if $nend (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $d (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $j))) (local.get $m)) (local.get $rs)))
        (v128.store (i32.add (local.get $xhat) (i32.add (local.get $po) (local.get $j))) (local.get $d))
        (v128.store (i32.add (local.get $y) (i32.add (local.get $po) (local.get $j)))
          (f32x4.add (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $g) (local.get $j)))) (v128.load (i32.add (local.get $b) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $nloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; Its gradient, row by row: with dx̂ = dy·g,
  ;;   dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))
  ;; and the parameters' gradients added into dg += Σ_rows dy·x̂, db += Σ_rows dy (the caller zeroes them).
  (func (export "layernorm_grad") (param $dy i32) (param $xhat i32) (param $rstd i32) (param $g i32) (param $dx i32) (param $dg i32) (param $db i32) (param $rows i32) (param $C i32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $po i32) (local $a1 v128) (local $a2 v128) (local $dh v128) (local $xv v128) (local $dv v128) (local $m1 v128) (local $m2 v128) (local $rs v128) (local $inv f32)
    (local.set $c4 (i32.shl (local.get $C) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $C))))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $po (i32.mul (local.get $r) (local.get $c4)))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $send (loop $sloop
        (br_if $send (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $dh (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $po) (local.get $j)))) (v128.load (i32.add (local.get $g) (local.get $j)))))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $dh)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $dh) (v128.load (i32.add (local.get $xhat) (i32.add (local.get $po) (local.get $j)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $sloop)))
      (local.set $m1 (f32x4.splat (f32.mul (local.get $inv) (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a1)) (f32x4.extract_lane 1 (local.get $a1)))
        (f32.add (f32x4.extract_lane 2 (local.get $a1)) (f32x4.extract_lane 3 (local.get $a1)))))))
      (local.set $m2 (f32x4.splat (f32.mul (local.get $inv) (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a2)) (f32x4.extract_lane 1 (local.get $a2)))
        (f32.add (f32x4.extract_lane 2 (local.get $a2)) (f32x4.extract_lane 3 (local.get $a2)))))))
      (local.set $rs (v128.load32_splat (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $j (i32.const 0))
      (block $gend (loop $gloop
        (br_if $gend (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $dv (v128.load (i32.add (local.get $dy) (i32.add (local.get $po) (local.get $j)))))
        (local.set $xv (v128.load (i32.add (local.get $xhat) (i32.add (local.get $po) (local.get $j)))))
        (local.set $dh (f32x4.mul (local.get $dv) (v128.load (i32.add (local.get $g) (local.get $j)))))
        (v128.store (i32.add (local.get $dx) (i32.add (local.get $po) (local.get $j)))
          (f32x4.mul (local.get $rs) (f32x4.sub (f32x4.sub (local.get $dh) (local.get $m1)) (f32x4.mul (local.get $xv) (local.get $m2)))))
        (v128.store (i32.add (local.get $dg) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $dg) (local.get $j))) (f32x4.mul (local.get $dv) (local.get $xv))))
        (v128.store (i32.add (local.get $db) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $db) (local.get $j))) (local.get $dv)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $gloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))
)
