;; Exact integer dot products of int16 rows for the kNN tiles (see intGemm.ts).
;;
;; dot(a, na, b, nb, kp, out): out[i·nb + j] = Σₖ a[i·kp + k] · b[j·kp + k] for i < na, j < nb,
;; exactly, as int32. Rows are int16, kp of them a row, kp a multiple of 16 (zero padding); a, b,
;; out are byte addresses, out 4-byte aligned. The caller guarantees that no sum leaves int32
;; (dim · max|x|² < 2³¹), so the wrapping adds are exact.
;;
;; i32x4.dot_i16x8_s (x86 pmaddwd) does 8 multiply-adds in one instruction, where float32 SIMD
;; needs a multiply and an add for 4. The micro-kernel keeps a 4 × 2 block of sums in 8
;; registers (x86 has 16 for SIMD: 8 sums and 6 loaded vectors fit), and runs 16 columns a turn.
;; Rows of a are taken 16 at a time (25 KB of 784-dimensional rows, which stay in L1) against
;; every pair of rows of b. About 27 G multiply-adds a second on one core here (512 × 512 × 784),
;; one pmaddwd a cycle: the chunk size (8–64 rows) moved it by less than the noise.
(module
  (memory (export "memory") 1)

  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; The 4 × 2 block: rows pa … pa + 3·s of a against rows pb, pb + s of b; kb bytes a row.
  (func $block42 (param $pa i32) (param $pb i32) (param $s i32) (param $kb i32) (param $o i32) (param $os i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b1 i32) (local $end i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y0 v128) (local $y1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a1 (i32.add (local.get $pa) (local.get $s)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $s)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $s)))
    (local.set $b1 (i32.add (local.get $pb) (local.get $s)))
    (local.set $end (i32.add (local.get $pa) (local.get $kb)))
    (loop $k
      (local.set $y0 (v128.load (local.get $pb)))
      (local.set $y1 (v128.load (local.get $b1)))
      (local.set $x0 (v128.load (local.get $pa)))
      (local.set $x1 (v128.load (local.get $a1)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y0))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y1))))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y0))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y1))))
      (local.set $x2 (v128.load (local.get $a2)))
      (local.set $x3 (v128.load (local.get $a3)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $x2) (local.get $y0))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $x2) (local.get $y1))))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $x3) (local.get $y0))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $x3) (local.get $y1))))
      (local.set $y0 (v128.load offset=16 (local.get $pb)))
      (local.set $y1 (v128.load offset=16 (local.get $b1)))
      (local.set $x0 (v128.load offset=16 (local.get $pa)))
      (local.set $x1 (v128.load offset=16 (local.get $a1)))
      (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y0))))
      (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y1))))
      (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y0))))
      (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y1))))
      (local.set $x2 (v128.load offset=16 (local.get $a2)))
      (local.set $x3 (v128.load offset=16 (local.get $a3)))
      (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $x2) (local.get $y0))))
      (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $x2) (local.get $y1))))
      (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $x3) (local.get $y0))))
      (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $x3) (local.get $y1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 32)))
      (local.set $a2 (i32.add (local.get $a2) (i32.const 32)))
      (local.set $a3 (i32.add (local.get $a3) (i32.const 32)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (local.set $b1 (i32.add (local.get $b1) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $pa) (local.get $end))))
    (i32.store (local.get $o) (call $hsum (local.get $c00)))
    (i32.store offset=4 (local.get $o) (call $hsum (local.get $c01)))
    (local.set $o (i32.add (local.get $o) (local.get $os)))
    (i32.store (local.get $o) (call $hsum (local.get $c10)))
    (i32.store offset=4 (local.get $o) (call $hsum (local.get $c11)))
    (local.set $o (i32.add (local.get $o) (local.get $os)))
    (i32.store (local.get $o) (call $hsum (local.get $c20)))
    (i32.store offset=4 (local.get $o) (call $hsum (local.get $c21)))
    (local.set $o (i32.add (local.get $o) (local.get $os)))
    (i32.store (local.get $o) (call $hsum (local.get $c30)))
    (i32.store offset=4 (local.get $o) (call $hsum (local.get $c31))))

  ;; One sum: row pa of a against row pb of b (the edges the 4 × 2 blocks leave).
  (func $block11 (param $pa i32) (param $pb i32) (param $kb i32) (param $o i32)
    (local $end i32) (local $c v128)
    (local.set $end (i32.add (local.get $pa) (local.get $kb)))
    (loop $k
      (local.set $c (i32x4.add (local.get $c) (i32x4.dot_i16x8_s (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
      (br_if $k (i32.lt_u (local.get $pa) (local.get $end))))
    (i32.store (local.get $o) (call $hsum (local.get $c))))

  (func (export "dot") (param $a i32) (param $na i32) (param $b i32) (param $nb i32) (param $kp i32) (param $out i32)
    (local $s i32) (local $os i32) (local $na4 i32) (local $nb2 i32)
    (local $i0 i32) (local $iend i32) (local $i i32) (local $j i32) (local $j0 i32)
    (local.set $s (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $os (i32.shl (local.get $nb) (i32.const 2)))
    (local.set $na4 (i32.and (local.get $na) (i32.const -4)))
    (local.set $nb2 (i32.and (local.get $nb) (i32.const -2)))
    ;; The 4 × 2 blocks: 16 rows of a at a time against every pair of rows of b.
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $i0) (local.get $na4)))
        (local.set $iend (i32.add (local.get $i0) (i32.const 16)))
        (if (i32.gt_u (local.get $iend) (local.get $na4)) (then (local.set $iend (local.get $na4))))
        (local.set $j (i32.const 0))
        (block $jdone
          (loop $jl
            (br_if $jdone (i32.ge_u (local.get $j) (local.get $nb2)))
            (local.set $i (local.get $i0))
            (loop $il
              (call $block42
                (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $s)))
                (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $s)))
                (local.get $s) (local.get $s)
                (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nb)) (local.get $j)) (i32.const 2)))
                (local.get $os))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $il (i32.lt_u (local.get $i) (local.get $iend))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $jl)))
        (local.set $i0 (local.get $iend))
        (br $chunk)))
    ;; The edges: the last column of b when nb is odd (rows < na4), then every column for the last rows of a.
    (local.set $i (i32.const 0))
    (block $edone
      (loop $el
        (br_if $edone (i32.ge_u (local.get $i) (local.get $na)))
        (local.set $j0 (select (local.get $nb2) (i32.const 0) (i32.lt_u (local.get $i) (local.get $na4))))
        (local.set $j (local.get $j0))
        (block $rdone
          (loop $rl
            (br_if $rdone (i32.ge_u (local.get $j) (local.get $nb)))
            (call $block11
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $s)))
              (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $s)))
              (local.get $s)
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nb)) (local.get $j)) (i32.const 2))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $el))))
)
