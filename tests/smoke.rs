use std::cell::Cell;
use std::rc::Rc;
use turnstile::Mutex;

#[test]
fn fairness_two_tasks() {
    let m = Rc::new(Mutex::new(()));
    let ex = futures_lite::future::block_on(async {
        let a_count = Rc::new(Cell::new(0u32));
        let max_run = Rc::new(Cell::new(0u32));
        let run = Rc::new(Cell::new(0u32));
        let last = Rc::new(Cell::new('x'));
        let task = |name: char| {
            let m = m.clone();
            let a_count = a_count.clone();
            let run = run.clone(); let max_run = max_run.clone(); let last = last.clone();
            async move {
                for _ in 0..200 {
                    let g = m.lock().await;
                    if last.get() == name { run.set(run.get()+1) } else { run.set(1); last.set(name) }
                    max_run.set(max_run.get().max(run.get()));
                    a_count.set(a_count.get()+1);
                    futures_lite::future::yield_now().await;
                    drop(g);
                }
            }
        };
        futures_lite::future::zip(task('a'), task('b')).await;
        max_run.get()
    });
    println!("max run {ex}");
    assert!(ex <= 16);
}
