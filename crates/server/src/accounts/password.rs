//! argon2id password hashes (PHC strings), computed off the async threads.
//!
//! Each hash takes ~19 MiB and a core for tens of milliseconds, so hashes run on
//! a fixed set of threads, one per core ([`HASHERS`]): at most that many at once
//! (on tokio's blocking pool every new thread kept another 19 MiB: hundreds of
//! MiB under a sign-in flood). A sign-in's memory is handed back to the kernel
//! when its hash is done ([`give_back`]). A caller that cannot get a turn within
//! [`HASHING_WAIT`] gets [`PasswordError::Busy`] (503) instead of a queue that
//! grows with the attack.

use std::{
    sync::{mpsc, Arc, LazyLock, Mutex},
    time::Duration,
};

use tokio::sync::{oneshot, Semaphore, SemaphorePermit};

use argon2::{
    password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("every hashing slot stayed busy")]
    Busy,
}

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longer passwords are refused before hashing (argon2 reads every byte).
pub const MAX_PASSWORD_BYTES: usize = 1024;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, and a semaphore with one turn per thread.
struct Hashers {
    jobs: Mutex<mpsc::Sender<Job>>,
    turns: Semaphore,
}

static HASHERS: LazyLock<Hashers> = LazyLock::new(|| {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for n in 0..threads {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("password-hash-{n}"))
            .spawn(move || loop {
                let job = match receiver.lock() {
                    Ok(receiver) => receiver.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a password hashing thread");
        }
    }
    Hashers {
        jobs: Mutex::new(sender),
        turns: Semaphore::new(threads),
    }
});

/// Longest wait for a hashing turn.
pub const HASHING_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` on a hashing thread once a turn is free (within [`HASHING_WAIT`]).
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let hashers = &*HASHERS;
    let turn: SemaphorePermit<'static> =
        match tokio::time::timeout(HASHING_WAIT, hashers.turns.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(PasswordError::Busy),
        };
    let (done, result) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    hashers
        .jobs
        .lock()
        .map_err(|_| PasswordError::Busy)?
        .send(job)
        .map_err(|_| PasswordError::Busy)?;
    let outcome = result.await.map_err(|_| PasswordError::Busy);
    drop(turn);
    outcome
}

pub async fn hash(password: String) -> Result<String, PasswordError> {
    on_hasher(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await?
}

/// Whether `password` matches `phc`. With `phc = None` (no such user) a hash is
/// still verified, so an unknown email takes as long as a wrong password.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, PasswordError> {
    on_hasher(move || {
        let (phc, known) = match phc {
            Some(phc) => (phc, true),
            None => (DUMMY_HASH.to_string(), false),
        };
        let matches = SCRATCH.with(|scratch| {
            let mut memory = scratch.borrow_mut();
            let matches = verify_in(&mut memory, password.as_bytes(), &phc);
            give_back(&mut memory);
            matches
        })?;
        Ok(matches && known)
    })
    .await?
}

thread_local! {
    /// Each hashing thread's argon2 memory, allocated once and reused: freeing
    /// and allocating 19 MiB per sign-in left the allocator holding more after
    /// every one (measured: +18 MiB RSS per sign-in, never given back). Its
    /// pages go back to the kernel after each hash ([`give_back`]); the
    /// allocation, an address range, stays.
    static SCRATCH: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Hands the whole pages of `memory` back to the kernel (Linux), which maps
/// them to zeroed pages again when the next hash writes them (argon2 writes
/// every block before it reads it). Kept between sign-ins, the two threads'
/// 19 MiB were half the server's resident memory while it took uploads
/// (2026-12-05: 41 MiB anonymous before the first upload, 3 MiB without them);
/// faulting them back in costs the next sign-in about 5,000 page faults beside
/// its hash. Elsewhere `MADV_DONTNEED` frees nothing, so the buffer stays.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn give_back(memory: &mut [Block]) {
    // SAFETY: sysconf has no preconditions.
    let page = match usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) {
        Ok(page) if page.is_power_of_two() => page,
        _ => return,
    };
    let start = memory.as_mut_ptr() as usize;
    let end = start + std::mem::size_of_val(memory);
    let (first, last) = (start.next_multiple_of(page), end & !(page - 1));
    if last <= first {
        return;
    }
    // SAFETY: [first, last) lies inside `memory`, which this thread borrows
    // mutably and no one reads until the next hash writes it. MADV_DONTNEED
    // keeps the range mapped and its bytes read as zeros, a valid `Block`.
    let advised = unsafe {
        libc::madvise(
            first as *mut libc::c_void,
            last - first,
            libc::MADV_DONTNEED,
        )
    };
    if advised != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not give a hash's memory back");
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn give_back(_memory: &mut [Block]) {}

/// `argon2`'s `verify_password`, but in the given memory.
fn verify_in(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> Result<bool, PasswordError> {
    let invalid = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let parsed = PasswordHash::new(phc).map_err(|e| invalid(&e))?;
    let params = Params::try_from(&parsed).map_err(|e| invalid(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| invalid(&e))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| invalid(&e))?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::Hash(
            "the stored hash has no salt or output".into(),
        ));
    };
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(|e| invalid(&e))?;
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut output, &mut memory[..blocks])
        .map_err(|e| invalid(&e))?;
    // Output compares in constant time.
    Ok(Output::new(&output).map_err(|e| invalid(&e))? == expected)
}

/// An argon2id hash of a random password nobody knows, with default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse".into(), Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
