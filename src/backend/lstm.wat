;; The element-wise half of an LSTM step, in WebAssembly SIMD, on TensorFlow.js's wasm heap
;; (src/backend/lstm-kernels.ts runs it between the matrix products of gemm.wat). Assembled into
;; lstm-wasm.ts by `npm run wasm` (wabt); a unit test checks the two agree.
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
;;   colsum  out[j] = Σ_r x[r, j] (the bias gradient), cols a multiple of 4.
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
    (local $k i32) (local $v v128) (local $e v128) (local $r v128) (local $p v128) (local $wide v128)
    (local $A v128) (local $B v128) (local $S v128)
    (local.set $A (v128.const f32x4 0 0 0 0)) (local.set $B (v128.const f32x4 -1 -1 -1 -1)) (local.set $S (v128.const f32x4 1 1 1 1))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then (local.set $S (v128.const f32x4 -1 -1 -1 -1))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then
      (local.set $A (v128.const f32x4 1 1 1 1)) (local.set $B (v128.const f32x4 2 2 2 2)) (local.set $S (v128.const f32x4 2 2 2 2))))
    (local.set $n (i32.shl (local.get $n) (i32.const 2)))
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
      (local.set $wide (v128.or (local.get $wide) (v128.not (v128.and
        (f32x4.ge (local.get $v) (v128.const f32x4 -87 -87 -87 -87)) (f32x4.le (local.get $v) (v128.const f32x4 88 88 88 88))))))
      (local.set $v (f32x4.mul (local.get $v) (local.get $S)))
      ;; e = e^v, clamped to [-87, 88]: n = round(v·log₂e), r = v - n·ln2 (ln 2 in two parts, the
      ;; first product exact), e^r by a degree-6 polynomial, 2^n put in the exponent bits
      (local.set $v (f32x4.max (f32x4.min (local.get $v) (v128.const f32x4 88 88 88 88)) (v128.const f32x4 -87 -87 -87 -87)))
      (local.set $e (f32x4.nearest (f32x4.mul (local.get $v) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
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
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $e)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (if (local.get $kind) (then
        (local.set $e (f32x4.sub (local.get $A) (f32x4.div (local.get $B) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))))))
      (v128.store (i32.add (local.get $out) (local.get $k)) (local.get $e))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $loop)))
    (v128.any_true (local.get $wide)))

  (func (export "exp") (param $x i32) (param $out i32) (param $n i32) (result i32) (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 0)))
  (func (export "sigmoid") (param $x i32) (param $out i32) (param $n i32) (drop (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 1))))
  (func (export "tanh") (param $x i32) (param $out i32) (param $n i32) (drop (call $map (local.get $x) (local.get $out) (local.get $n) (i32.const 2))))

  (func (export "fwd") (param $z i32) (param $cprev i32) (param $c i32) (param $tc i32) (param $h i32) (param $B i32) (param $H i32)
    (local $h4 i32) (local $row i32) (local $j i32) (local $pz i32) (local $ps i32) (local $n4 i32)
    (local $t v128)
    (local.set $h4 (i32.shl (local.get $H) (i32.const 2))) ;; bytes per block of H
    ;; gates: σ over each row's f, i, o blocks, tanh over its g block, in place
    (block $gend (loop $gloop
      (br_if $gend (i32.ge_u (local.get $row) (local.get $B)))
      (local.set $pz (i32.add (local.get $z) (i32.mul (local.get $row) (i32.shl (local.get $h4) (i32.const 2)))))
      (drop (call $map (local.get $pz) (local.get $pz) (i32.mul (local.get $H) (i32.const 3)) (i32.const 1)))
      (local.set $pz (i32.add (local.get $pz) (i32.mul (local.get $h4) (i32.const 3))))
      (drop (call $map (local.get $pz) (local.get $pz) (local.get $H) (i32.const 2)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $gloop)))
    ;; c_t = f ∘ c_{t-1} + i ∘ g, into c and tc (tc becomes tanh(c_t) below); then h_t = o ∘ tanh(c_t)
    (local.set $row (i32.const 0))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $row) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $h4)))
        (local.set $pz (i32.add (local.get $z) (i32.add (i32.mul (local.get $row) (i32.shl (local.get $h4) (i32.const 2))) (local.get $j))))
        (local.set $ps (i32.add (i32.mul (local.get $row) (local.get $h4)) (local.get $j)))
        (local.set $t (f32x4.add
          (f32x4.mul (v128.load (local.get $pz)) (v128.load (i32.add (local.get $cprev) (local.get $ps))))
          (f32x4.mul (v128.load (i32.add (local.get $pz) (local.get $h4))) (v128.load (i32.add (local.get $pz) (i32.mul (local.get $h4) (i32.const 3)))))))
        (v128.store (i32.add (local.get $c) (local.get $ps)) (local.get $t))
        (v128.store (i32.add (local.get $tc) (local.get $ps)) (local.get $t))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rloop)))
    (drop (call $map (local.get $tc) (local.get $tc) (i32.mul (local.get $B) (local.get $H)) (i32.const 2)))
    (local.set $row (i32.const 0))
    (block $hend (loop $hloop
      (br_if $hend (i32.ge_u (local.get $row) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $kend (loop $kloop
        (br_if $kend (i32.ge_u (local.get $j) (local.get $h4)))
        (local.set $pz (i32.add (local.get $z) (i32.add (i32.mul (local.get $row) (i32.shl (local.get $h4) (i32.const 2))) (local.get $j))))
        (local.set $ps (i32.add (i32.mul (local.get $row) (local.get $h4)) (local.get $j)))
        (v128.store (i32.add (local.get $h) (local.get $ps))
          (f32x4.mul (v128.load (i32.add (local.get $pz) (i32.shl (local.get $h4) (i32.const 1)))) (v128.load (i32.add (local.get $tc) (local.get $ps)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $kloop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $hloop))))

  (func (export "bwd") (param $act i32) (param $cprev i32) (param $tc i32) (param $dy i32) (param $dhn i32) (param $dc i32) (param $dz i32) (param $B i32) (param $H i32)
    (local $h4 i32) (local $row i32) (local $j i32) (local $pz i32) (local $ps i32)
    (local $f v128) (local $i v128) (local $o v128) (local $g v128) (local $t v128)
    (local $dh v128) (local $dct v128) (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $h4 (i32.shl (local.get $H) (i32.const 2)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $row) (local.get $B)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $h4)))
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

  (func (export "colsum") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $px i32)
    (local.set $c4 (i32.shl (local.get $cols) (i32.const 2)))
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
      (local.set $px (i32.add (local.get $px) (local.get $c4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))
)
