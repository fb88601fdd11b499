;; A matrix product for TensorFlow.js's wasm heap (src/backend/simd-gemm.ts), in WebAssembly SIMD.
;; Assembled into gemm-wasm.ts by `npm run wasm` (wabt); a unit test checks the two agree.
;;
;; mm: C[M,N] = A[M,K] · B[K,N] in f32, addresses in bytes; C += A·B when acc is not 0, else
;; C = A·B + bias[N] when bias (an address) is not 0. A[i,k] is at a + 4·(i·sai + k·sak), so
;; A may be stored either way round (untransposed: sai = K, sak = 1; transposed: sai = 1, sak = M):
;; A's elements are broadcast one at a time, so its layout costs nothing. C is row-major with row
;; stride ldc floats (N for a whole C; more when C is a block of columns of a wider matrix, as when
;; threads share a product out by columns, or a head's slice of attention's [B, T, C]). B's 8
;; columns j..j+7 of row k are at b + (j/8)·pstride + k·ldb (bytes): row-major B has ldb = 4·(its
;; row length), pstride = 32; B packed into panels (below) has ldb = 32, pstride = 32K. bias[j] is at
;; bias + 4j. M must be a multiple of 4 and N of 8 (the caller does the rest).
;;
;; scripts/wasm.ts assembles this file in four variants: as written (one thread, tfjs's own memory),
;; with the memory imported as shared (threads, src/backend/threads.ts), and either of those with
;; each multiply-add below fused into one relaxed-SIMD f32x4.relaxed_madd (where the engine has it:
;; Node 20 behind --experimental-wasm-relaxed-simd, which simd-gemm.ts turns on).
;;
;; pack: B[K,N] (B[k,n] at src + 4·(k·sk + n·sn)) into panels: the 8 columns of each panel, row
;; after row, K x 8 floats contiguous; columns from N to the next multiple of 8 are zeros. A
;; row-major B's rows are 4N bytes apart, a multiple of 4 KB for N = 1024: every row of a panel then
;; fell in the same few sets of the first-level cache and the panel was read from the next level
;; for every 4 rows of A (a step of the course's LSTM ran its h·W_h at half the speed of a packed one).
;;
;; Each step of the k loop updates a 4 x 8 block of C held in eight 4-lane registers: two vector
;; loads of B's row k, four broadcasts of A's column k, eight multiply-adds (a multiply and an add each
;; in plain wasm SIMD; one fused instruction in the relaxed-SIMD variants).
;; Columns outside, rows inside: one 8-column panel of B (K x 8 floats) serves every row of A
;; while it is in the nearest cache; the caller keeps A small (simd-gemm.ts: rows and K in blocks).
(module
  (import "env" "memory" (memory 1))
  (func (export "mm") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32) (param $sai i32) (param $sak i32) (param $acc i32) (param $bias i32) (param $ldb i32) (param $pstride i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32) (local $pc i32)
    (local $sak4 i32) (local $n4 i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $sak4 (i32.shl (local.get $sak) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $jend (loop $jloop
      (br_if $jend (i32.ge_u (local.get $j) (local.get $N)))
      (local.set $i (i32.const 0))
      (block $iend (loop $iloop
        (br_if $iend (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (if (local.get $acc)
          (then ;; C += A·B: start from C's block
            (local.set $c00 (v128.load (local.get $pc))) (local.set $c01 (v128.load offset=16 (local.get $pc)))
            (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
            (local.set $c10 (v128.load (local.get $pc))) (local.set $c11 (v128.load offset=16 (local.get $pc)))
            (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
            (local.set $c20 (v128.load (local.get $pc))) (local.set $c21 (v128.load offset=16 (local.get $pc)))
            (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
            (local.set $c30 (v128.load (local.get $pc))) (local.set $c31 (v128.load offset=16 (local.get $pc))))
          (else
            (if (local.get $bias)
              (then ;; C = A·B + bias: every row starts from bias[j .. j+8]
                (local.set $c00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
              (else
                (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))))
            (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
            (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
            (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
        ;; row pointers of A for rows i..i+3 at k = 0
        (local.set $pa0 (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $sai)) (i32.const 2))))
        (local.set $pa1 (i32.add (local.get $pa0) (i32.shl (local.get $sai) (i32.const 2))))
        (local.set $pa2 (i32.add (local.get $pa1) (i32.shl (local.get $sai) (i32.const 2))))
        (local.set $pa3 (i32.add (local.get $pa2) (i32.shl (local.get $sai) (i32.const 2))))
        (local.set $pb (i32.add (local.get $b) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $pstride))))
        (local.set $k (local.get $K))
        (block $kend (loop $kloop
          (br_if $kend (i32.eqz (local.get $k)))
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $x (v128.load32_splat (local.get $pa0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (local.get $pa1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (local.get $pa2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (local.get $pa3)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $pa0 (i32.add (local.get $pa0) (local.get $sak4)))
          (local.set $pa1 (i32.add (local.get $pa1) (local.get $sak4)))
          (local.set $pa2 (i32.add (local.get $pa2) (local.get $sak4)))
          (local.set $pa3 (i32.add (local.get $pa3) (local.get $sak4)))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $kloop)))
        (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (v128.store (local.get $pc) (local.get $c00)) (v128.store offset=16 (local.get $pc) (local.get $c01))
        (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
        (v128.store (local.get $pc) (local.get $c10)) (v128.store offset=16 (local.get $pc) (local.get $c11))
        (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
        (v128.store (local.get $pc) (local.get $c20)) (v128.store offset=16 (local.get $pc) (local.get $c21))
        (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
        (v128.store (local.get $pc) (local.get $c30)) (v128.store offset=16 (local.get $pc) (local.get $c31))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $iloop)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $jloop)))
  )

  ;; packa: a block of a transposed A (rows x kk, A[i, k] at src + 4·(i + k·sak)) copied side by side,
  ;; column k at dst + 4·k·rows: one bulk copy per column (simd-gemm.ts says why).
  (func (export "packa") (param $src i32) (param $dst i32) (param $rows i32) (param $kk i32) (param $sak i32)
    (local $n i32) (local $s4 i32)
    (local.set $n (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $s4 (i32.shl (local.get $sak) (i32.const 2)))
    (block $end (loop $loop
      (br_if $end (i32.eqz (local.get $kk)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $n))
      (local.set $dst (i32.add (local.get $dst) (local.get $n)))
      (local.set $src (i32.add (local.get $src) (local.get $s4)))
      (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
      (br $loop))))

  (func (export "pack") (param $src i32) (param $dst i32) (param $K i32) (param $N i32) (param $sk i32) (param $sn i32)
    (local $j i32) (local $k i32) (local $q i32) (local $ps i32) (local $pd i32) (local $sk4 i32) (local $sn4 i32)
    (local.set $sk4 (i32.shl (local.get $sk) (i32.const 2)))
    (local.set $sn4 (i32.shl (local.get $sn) (i32.const 2)))
    (local.set $pd (local.get $dst))
    (block $jend (loop $jloop
      (br_if $jend (i32.ge_u (local.get $j) (local.get $N)))
      (local.set $ps (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $sn4))))
      (local.set $k (i32.const 0))
      (if (i32.and (i32.eq (local.get $sn) (i32.const 1)) (i32.le_u (i32.add (local.get $j) (i32.const 8)) (local.get $N)))
        (then ;; a whole panel of a row-major B: two vectors a row
          (block $kend (loop $kloop
            (br_if $kend (i32.ge_u (local.get $k) (local.get $K)))
            (v128.store (local.get $pd) (v128.load (local.get $ps)))
            (v128.store offset=16 (local.get $pd) (v128.load offset=16 (local.get $ps)))
            (local.set $ps (i32.add (local.get $ps) (local.get $sk4)))
            (local.set $pd (i32.add (local.get $pd) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kloop))))
        (else ;; any strides, or the last, partial panel: one float at a time, zeros past N
          (block $kend2 (loop $kloop2
            (br_if $kend2 (i32.ge_u (local.get $k) (local.get $K)))
            (local.set $q (i32.const 0))
            (block $qend (loop $qloop
              (br_if $qend (i32.ge_u (local.get $q) (i32.const 8)))
              (f32.store (i32.add (local.get $pd) (i32.shl (local.get $q) (i32.const 2)))
                (if (result f32) (i32.lt_u (i32.add (local.get $j) (local.get $q)) (local.get $N))
                  (then (f32.load (i32.add (local.get $ps) (i32.mul (local.get $q) (local.get $sn4)))))
                  (else (f32.const 0))))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $qloop)))
            (local.set $ps (i32.add (local.get $ps) (local.get $sk4)))
            (local.set $pd (i32.add (local.get $pd) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kloop2)))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $jloop))))
)
