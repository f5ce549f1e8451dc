// Rust names for lineprof's tests: a generic function with two
// instances in a module, a method, a closure. Legacy mangling drops the
// generic arguments from symbols; lineprof takes them from the DWARF.
mod stats {
    pub fn total<T: Copy + Into<u64>>(v: &[T]) -> u64 {
        let mut s = 0u64;
        for x in v {
            s = s.wrapping_add((*x).into().wrapping_mul(2654435761)); // TOTAL
        }
        s
    }
}

// What std::hint::black_box does (stable only since Rust 1.66): the
// optimiser cannot see through a volatile read, so the work is done.
fn opaque<T: Copy>(x: T) -> T {
    unsafe { std::ptr::read_volatile(&x) }
}

struct Grid {
    n: u64,
}

impl Grid {
    fn step(&self) -> u64 {
        let mut s = 0u64;
        for i in 0..self.n {
            s = s.wrapping_add(i.wrapping_mul(31) ^ (s >> 3)); // STEP
        }
        s
    }
}

fn main() {
    let a: Vec<u32> = (0..20000).collect();
    let b: Vec<u8> = (0..20000).map(|x| x as u8).collect();
    let g = Grid { n: opaque(40000) };
    let mix = |k: u64| (0..k).fold(0u64, |m, i| m.wrapping_add(i ^ (m >> 5))); // CLOSURE
    let mut t = 0u64;
    for _ in 0..2000 {
        t = t
            .wrapping_add(stats::total(opaque(&a[..])))
            .wrapping_add(stats::total(opaque(&b[..])))
            .wrapping_add(g.step())
            .wrapping_add(mix(opaque(20000)));
    }
    println!("{}", t);
}
