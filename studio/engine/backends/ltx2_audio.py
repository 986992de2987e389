"""A parent clip's sound into LTX-2's audio latents, so remixes start from it instead of from pure noise.

The audio VAE encodes log-mel spectrograms of 16 kHz sound: the transform of the LTX-2 reference
`AudioProcessor` (torchaudio `MelSpectrogram`: n_fft 1024, hop = the VAE's `mel_hop_length`, Hann window,
centred with reflect padding, magnitude (power 1), Slaney mel scale and norm, then log(max(x, 1e-5))),
written with torch.stft and a Slaney filterbank so it needs no torchaudio.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

N_FFT = 1024


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3.0)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3.0)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, hz)


@lru_cache(maxsize=4)
def mel_filterbank(rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney-normalised triangular filters from 0 Hz to rate / 2."""
    freqs = np.linspace(0.0, rate / 2.0, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(rate / 2.0)), n_mels + 2))
    lower = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(audio: np.ndarray, rate: int, hop: int, n_mels: int) -> np.ndarray:
    """(n, 2) float audio at `rate` -> (2, frames, n_mels) log-mel, frames = n // hop + 1."""
    import torch

    wave = torch.from_numpy(np.ascontiguousarray(audio.T, dtype=np.float32))
    spec = torch.stft(wave, N_FFT, hop_length=hop, win_length=N_FFT, window=torch.hann_window(N_FFT),
                      center=True, pad_mode="reflect", return_complex=True).abs()
    mel = torch.from_numpy(mel_filterbank(rate, N_FFT, n_mels)) @ spec
    return torch.log(torch.clamp(mel, min=1e-5)).transpose(1, 2).numpy()


def encode_audio(pipe: Any, audio: np.ndarray | None, rate: int, seconds: float, latent_frames: int) -> Any:
    """The parent's sound as raw audio latents (1, C, latent_frames, M) for `audio_latents=` (silence if None)."""
    import torch

    from studio.engine import timing

    vae = pipe.audio_vae
    vae_rate = int(vae.config.sample_rate)
    hop = int(vae.config.mel_hop_length)
    if audio is None:
        audio = np.zeros((round(seconds * vae_rate), 2), np.float32)
    else:
        audio = timing.fit_audio(timing.resample_audio(timing.as_stereo(audio), rate, vae_rate), vae_rate, seconds)
    mel = torch.from_numpy(log_mel(audio, vae_rate, hop, int(vae.config.mel_bins)))[None]
    device = pipe._execution_device
    posterior = vae.encode(mel.to(device=device, dtype=vae.dtype)).latent_dist
    latents = posterior.mode()
    if latents.shape[2] < latent_frames:  # pad in time by holding the last latent frame
        pad = latents[:, :, -1:].expand(-1, -1, latent_frames - latents.shape[2], -1)
        latents = torch.cat([latents, pad], dim=2)
    return latents[:, :, :latent_frames]
