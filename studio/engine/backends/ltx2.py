"""LTX-2 (2.0, 2.3, 2.5; full and distilled): joint video and audio from one diffusers pipeline family.

Per-version settings (guidance terms, schedules, scheduler) come from `ltx2_versions`. Every pass runs
with `output_type="latent"`; pictures are decoded in temporal tiles straight to uint8 at the exact size
asked for (`ltx2_decode`), so no float copy of the clip is ever held on the host.

Modes and how each is made:
- text: `LTX2Pipeline` (LTX-2.5: `LTX2DFRPipeline` passes, see `_fresh_dfr`). image / keyframes: `LTX2ConditionPipeline` (the images as conditions; keyframe
  indices count latent frames, as in the original LTX-2 code). Both share the warm pipeline's components
  in its dtype.
- two stages (when the short side asked for is above the model's `upscale_above` option and an upsampler is
  there): half size rounded to multiples of 32 (the VAE grid the upsampler needs), the latent upsampler x2,
  then a short refinement at full size (the 3 stage-2 sigmas, re-noised to the first, shift off, guidance
  off, and for a full model the distilled LoRA its repository ships: the diffusers LTX-2 two-stage recipe),
  then decoded and resized to the exact size. A full model without that LoRA file refines with its base weights.
- extend: the parent's last 1 + r frames (r = the VAE's temporal ratio) as a condition at index 0; the new
  frames after them are appended to the parent; the sound is joined so the new sound plays with its pictures.
- video: SDEdit: the parent's pictures (video VAE) and sound (audio VAE) encoded, both noised to `strength`,
  then denoised over explicit sigmas from `strength` down with the scheduler's shift off (the diffusers docs'
  way: dynamic shifting would move the first sigma to 0.84-0.95 whatever the strength).
- retake: video-to-video over the whole parent, then only the frames and sound inside [from, to) are
  replaced, with short ramps at both edges, so everything outside the range is the parent's.

Resume (studio.engine.resume): a pause during an `LTX2Pipeline` pass (text on LTX-2.0/2.3, either stage of the
two-stage path; video; retake) keeps the loop's packed latents, video and audio, with the pass's schedule as its
scheduler ran it; the resumed pass gets them as `latents=` / `audio_latents=` with `noise_scale=0` and the sigmas
from that step on, the scheduler's shift off (the saved sigmas are already shifted). The flow-match Euler step is
deterministic given the latents, so the result is the uninterrupted run's within float rounding. NOT BUILT: the
`LTX2ConditionPipeline` modes (image, keyframes, extend: their keyframe tokens and conditioning mask are rebuilt
from 5-D latents at the start of a pass) and LTX-2.5's DFR passes and temporal refine rounds: Resume restarts those.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.cancel import CancelToken
from studio.engine import timing
from studio.engine.loading import load_pipeline
from studio.engine.memory import MemoryPlan, apply_plan, check_host_ram, torch_dtype
from studio.engine.preview import packed_latents_preview
from studio.engine.registry import ModelSpec, Registry, require_installed
from studio.engine.resume import ResumePoint
from studio.engine.styles import styled_prompts
from studio.recipe import MIN_SECONDS, Recipe

from .acceleration import accelerate
from .base import (
    Backend,
    GenerationResult,
    ProgressFn,
    SourceClip,
    mode,
    read_image,
    register_backend,
    source_audio,
    step_callback,
    torch_generator,
    torch_inference,
)
from .ltx2_audio import encode_audio
from .ltx2_decode import decode_audio, decode_video
from .ltx2_versions import DISTILLED_SIGMAS, STAGE_2_SIGMAS, TEMPORAL_ROUND_SIGMAS, LTX2Version, ltx2_version

# The distilled LoRA a full model's repository ships for the refinement after the latent upsampler
# (LTX-2: ltx-2-19b-distilled-lora-384.safetensors, LTX-2.5: ltx-2.5-22b-distilled-lora-450-bf16.safetensors).
STAGE_2_LORA_GLOB = "*distilled-lora*.safetensors"
STAGE_2_ADAPTER = "stage_2_distilled"
# LTX-2.5's x2 temporal latent upsampler, as diffusers' converter writes it (`--temporal_latent_upsampler`); the
# published model_index.json does not name it, so the folder is optional.
TEMPORAL_UPSAMPLER = "temporal_latent_upsampler"
# LTX-2.5's x2 spatial detailing IC-LoRA (Lightricks/LTX-2.5-22b-IC-LoRA-Pixel-Spatial-Upscaler, its own repository):
# used on the full-size DFR pass when a file with "ic-lora"/"ic_lora" in its name lies in the model folder; the
# recipe's strength is fixed at 0.5.
DETAILING_LORA_MARKERS = ("ic-lora", "ic_lora")
DETAILING_ADAPTER = "detailing"
DETAILING_WEIGHT = 0.5

log = logging.getLogger(__name__)

# Tiny models read prompts of at most 16 tokens (their tokenizer knows ~150 words): width, not behaviour.
_TINY_CALL_ARGS: dict[str, Any] = {"max_sequence_length": 16}


@dataclass(frozen=True)
class _Pass:
    """One denoising pass of a take: its steps, and where they sit in the take's progress."""

    steps: int
    offset: int
    total: int
    stage: int = 0  # which pass of the take: 0 the first, 1 the refinement after the latent upsampler


@register_backend
class LTX2Backend(Backend):
    """Holds one loaded LTX-2 pipeline; the condition and upsample pipelines share its components."""

    family = "ltx2"

    def __init__(self, spec: ModelSpec, pipe: Any, plan: MemoryPlan, location: Path | None = None,
                 call_args: dict[str, Any] | None = None) -> None:
        super().__init__(spec)
        self.pipe = pipe
        self.plan = plan
        self.location = location  # None: built in code (tiny models)
        self.version: LTX2Version = ltx2_version(spec.options)
        self.call_args = dict(call_args or {})
        self._condition_pipe: Any = None
        self._upsample_pipe: Any = None
        self._dfr_pipe: Any = None
        self._temporal_pipe: Any = None
        self._stage_2_lora: bool | None = None  # None: not looked for yet
        self._detailing_lora: bool | None = None  # None: not looked for yet
        pipe.set_progress_bar_config(disable=True)

    @classmethod
    def chooses_length(cls, spec: ModelSpec) -> bool:
        return ltx2_version(spec.options).has_duration_head

    @classmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan, registry: Registry | None = None) -> LTX2Backend:
        """Build a tiny model in code, or load the weights from disk (EngineError with the pull command if absent)."""
        from diffusers import LTX2Pipeline
        from diffusers.utils import logging as diffusers_logging

        # diffusers warns on every .to() about modules it would keep in float32; noise for a creator.
        diffusers_logging.set_verbosity_error()
        version = ltx2_version(spec.options)
        if spec.options.get("tiny"):
            from studio.engine.tiny import build_components

            pipe = LTX2Pipeline(**build_components(seed=0, version=version.version, distilled=version.distilled,
                                                   dtype=torch_dtype(plan)))
            apply_plan(pipe, plan)
            accelerate(pipe, plan)
            return cls(spec, pipe, plan, None, _TINY_CALL_ARGS)
        location = require_installed(spec)
        assert location is not None
        check_host_ram(spec, plan)
        pipe = load_pipeline(LTX2Pipeline, location, torch_dtype(plan))
        apply_plan(pipe, plan)
        accelerate(pipe, plan)
        return cls(spec, pipe, plan, location)

    @property
    def loaded(self) -> bool:
        return self.pipe is not None

    def inference_context(self) -> contextlib.AbstractContextManager[Any]:
        return torch_inference()

    def unload(self) -> None:
        self.pipe = None
        self._condition_pipe = None
        self._upsample_pipe = None
        self._dfr_pipe = None
        self._temporal_pipe = None

    # ---- geometry -------------------------------------------------------------------------------
    @property
    def temporal_ratio(self) -> int:
        return int(self.pipe.vae_temporal_compression_ratio)

    @property
    def spatial_multiple(self) -> int:
        return int(self.pipe.vae_spatial_compression_ratio) * int(self.pipe.transformer_spatial_patch_size)

    def _size(self, width: int, height: int) -> tuple[int, int]:
        """The nearest size on the VAE grid; LTX-2.0's decoder pads by reflection, so it needs 2 latents a side."""
        multiple = self.spatial_multiple
        least = multiple * (2 if self.version.version == "2.0" else 1)
        w, h = timing.valid_size(width, height, multiple)
        return max(least, w), max(least, h)

    def _two_stage_size(self, width: int, height: int) -> tuple[int, int] | None:
        """Half size for the two-stage recipe (full size = twice it), or None to generate at full size."""
        threshold = self.spec.options.get("upscale_above", self.version.two_stage_above)
        if threshold is None or min(width, height) <= threshold or self._upsampler() is None:
            return None
        return self._size(round(width / 2), round(height / 2))

    # ---- components -----------------------------------------------------------------------------
    def _condition(self) -> Any:
        if self._condition_pipe is None:
            from diffusers import LTX2ConditionPipeline

            # The pipeline's dtype, or diffusers converts the shared warm model to float32.
            self._condition_pipe = LTX2ConditionPipeline.from_pipe(self.pipe, dtype=self.pipe.dtype)
            self._condition_pipe.set_progress_bar_config(disable=True)
        return self._condition_pipe

    def _dfr(self) -> Any:
        """LTX-2.5's Diffusion Fidelity Rendering pipeline, sharing the warm components in their dtype."""
        if self._dfr_pipe is None:
            from diffusers import LTX2DFRPipeline

            self._dfr_pipe = LTX2DFRPipeline.from_pipe(self.pipe, dtype=self.pipe.dtype)
            self._dfr_pipe.set_progress_bar_config(disable=True)
        return self._dfr_pipe

    def _upsampler(self) -> Any:
        """The latent upsample pipeline sharing our VAE, or None when this model has no upsampler weights."""
        if self._upsample_pipe is None:
            from diffusers import LTX2LatentUpsamplePipeline

            model = self._upsampler_model("latent_upsampler")
            if model is None:
                return None
            self._upsample_pipe = LTX2LatentUpsamplePipeline(vae=self.pipe.vae, latent_upsampler=model)
            self._upsample_pipe.set_progress_bar_config(disable=True)
        return self._upsample_pipe

    def _temporal(self) -> Any:
        """LTX-2.5's temporal refine round pipeline over the warm components (their dtype, no second copy), or None
        when the model folder has no temporal upsampler (diffusers' converter writes it as `temporal_latent_upsampler/`)."""
        if self._temporal_pipe is None:
            from diffusers import LTX2DFRTemporalRefinePipeline, LTXEulerAncestralRFScheduler
            from diffusers.pipelines.ltx2.utils import TEMPORAL_ANCESTRAL_ETA

            model = self._upsampler_model(TEMPORAL_UPSAMPLER)
            if model is None:
                return None
            pipe = self.pipe
            # The round refuses any other scheduler: a deterministic step would only return a softer canvas.
            self._temporal_pipe = LTX2DFRTemporalRefinePipeline(
                scheduler=LTXEulerAncestralRFScheduler(eta=TEMPORAL_ANCESTRAL_ETA), vae=pipe.vae,
                audio_vae=pipe.audio_vae, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer,
                connectors=pipe.connectors, transformer=pipe.transformer, vocoder=pipe.vocoder,
                temporal_latent_upsampler=model)
            self._temporal_pipe.set_progress_bar_config(disable=True)
        return self._temporal_pipe

    def _upsampler_model(self, subfolder: str) -> Any:
        """A latent upsampler (spatial `latent_upsampler`, or the temporal one) in the pipeline's dtype and device,
        or None when the model folder lacks it."""
        dtype = self.pipe.dtype
        if self.location is None:
            from studio.engine.tiny import build_latent_upsampler, build_temporal_upsampler

            build = build_temporal_upsampler if subfolder == TEMPORAL_UPSAMPLER else build_latent_upsampler
            model = build(seed=0, dtype=dtype)
        elif (self.location / subfolder).is_dir():
            from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

            model = LTX2LatentUpsamplerModel.from_pretrained(
                str(self.location), subfolder=subfolder, dtype=dtype, use_safetensors=True, local_files_only=True)
        else:
            return None
        return model.to(device=self.pipe._execution_device, dtype=dtype)

    @contextlib.contextmanager
    def _unshifted(self, pipe: Any) -> Iterator[None]:
        """Run with the scheduler's shift off, so explicit sigmas are used as given (stage 2, SDEdit)."""
        from diffusers import FlowMatchEulerDiscreteScheduler

        original = pipe.scheduler
        if not original.config.get("use_dynamic_shifting") and original.config.get("shift_terminal") is None:
            yield
            return
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
            original.config, use_dynamic_shifting=False, shift_terminal=None)
        try:
            yield
        finally:
            pipe.scheduler = original

    def _load_lora(self, files: list[Path], adapter: str) -> bool:
        """Load the first of `files` as `adapter` (disabled until a pass turns it on); False if there is none."""
        if files:
            assert self.location is not None
            self.pipe.load_lora_weights(str(self.location), weight_name=files[0].name, adapter_name=adapter)
            self.pipe.disable_lora()
        return bool(files)

    def _load_stage_2_lora(self) -> bool:
        """Load the distilled LoRA beside a full model's weights once (disabled until a refinement); False if none."""
        if self._stage_2_lora is None:
            files = [] if self.version.distilled or self.location is None else sorted(
                self.location.glob(STAGE_2_LORA_GLOB))
            self._stage_2_lora = self._load_lora(files, STAGE_2_ADAPTER)
        return self._stage_2_lora

    def _load_detailing_lora(self) -> bool:
        """Load LTX-2.5's detailing IC-LoRA from the model folder once, when it is there; False if not."""
        if self._detailing_lora is None:
            files = [] if self.location is None or self.version.pipeline != "LTX2DFRPipeline" else sorted(
                path for path in self.location.glob("*.safetensors")
                if any(marker in path.name.lower() for marker in DETAILING_LORA_MARKERS))
            self._detailing_lora = self._load_lora(files, DETAILING_ADAPTER)
        return self._detailing_lora

    @contextlib.contextmanager
    def _adapter(self, adapter: str | None, weight: float = 1.0) -> Iterator[None]:
        """Run with only `adapter` on at `weight` (None: no adapter); off again after. enable_lora first: a
        disabled transformer stays disabled through set_adapters (the diffusers LTX-2.5 docs)."""
        if adapter is None:
            yield
            return
        self.pipe.enable_lora()
        self.pipe.set_adapters([adapter], [weight])
        try:
            yield
        finally:
            self.pipe.disable_lora()

    @contextlib.contextmanager
    def _refining(self, pipe: Any) -> Iterator[None]:
        """The docs' stage 2: the shift off and, for a full model, its distilled LoRA on (the transformer is shared)."""
        lora = self._load_stage_2_lora()
        with self._unshifted(pipe), self._adapter(STAGE_2_ADAPTER if lora else None):
            yield

    # ---- prompt and length -----------------------------------------------------------------------
    def enhance_prompt(self, request: Recipe) -> str:
        """The prompt rewritten as the model's training captions read (diffusers' `enhance_prompt`: LTX-2.5's
        dedicated `prompt_enhancer`, LTX-2.0/2.3's own Gemma text encoder), seeded by the take's seed; image mode
        shows the enhancer the start image. Needs the folder's `processor` (and for LTX-2.5 its `prompt_enhancer`)."""
        from diffusers.pipelines.ltx2 import utils as ltx2_utils

        from studio.errors import EngineError

        pipe = self.pipe
        dedicated = getattr(pipe, "prompt_enhancer", None) is not None
        if getattr(pipe, "processor", None) is None or (self.version.version == "2.5" and not dedicated):
            needed = "`processor` and `prompt_enhancer`" if self.version.version == "2.5" else "`processor`"
            raise EngineError(
                f"Model '{self.spec.id}' cannot enhance prompts: its folder has no {needed}. Generate without "
                f"--enhance-prompt, or run `kinora models pull {self.spec.id}` again if its repository ships them.")
        image = None
        if request.mode == "image" and request.image:
            import PIL.Image

            image = PIL.Image.fromarray(read_image(request.image))
        if dedicated:
            system = ltx2_utils.LTX2_5_I2V_DEFAULT_SYSTEM_PROMPT if image else ltx2_utils.LTX2_5_T2V_DEFAULT_SYSTEM_PROMPT
        else:
            system = ltx2_utils.I2V_DEFAULT_SYSTEM_PROMPT if image else ltx2_utils.T2V_DEFAULT_SYSTEM_PROMPT
        texts = pipe.enhance_prompt(prompt=request.prompt, system_prompt=system, seed=(request.seed or 0) % 2**32,
                                    image=image, device=pipe._execution_device)
        enhanced = texts[0].strip() if texts else ""
        if not enhanced:  # an enhancer that said nothing leaves the user's prompt as it was
            log.warning("the prompt enhancer returned nothing; using the prompt as written")
            return request.prompt
        log.info("enhanced prompt: %s", enhanced)
        return enhanced

    # ---- length ----------------------------------------------------------------------------------
    def auto_seconds(self, request: Recipe) -> float:
        """LTX-2.5's duration head: the length the prompt asks for, from the text connectors' tokens, clamped to
        [MIN_SECONDS, request.seconds] and snapped to the VAE's frame grid at the request's rate."""
        head = getattr(self.pipe, "duration_head", None)
        if head is None:
            return super().auto_seconds(request)
        pipe = self._dfr()  # its encode_prompt takes only the prompt (no guidance halves)
        prompt, _negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        embeds, mask = pipe.encode_prompt(prompt=prompt or " ", device=pipe._execution_device,
                                          **{k: v for k, v in self.call_args.items() if k == "max_sequence_length"})
        video_tokens, audio_tokens, _mask = pipe.connectors(embeds, mask, padding_side=pipe.tokenizer_padding_side)
        frames = head.predict_num_frames(video_tokens[:1], audio_tokens[:1], frame_rate=float(request.fps),
                                         temporal_compression_ratio=self.temporal_ratio, min_seconds=MIN_SECONDS,
                                         max_seconds=max(request.seconds, MIN_SECONDS + 1 / request.fps))
        return min(request.seconds, max(MIN_SECONDS, frames / request.fps))

    # ---- resume ---------------------------------------------------------------------------------
    def resume_support(self, request: Recipe) -> str | None:
        if request.mode in ("image", "keyframes", "extend"):
            return (f"mode '{request.mode}' runs LTX2ConditionPipeline, whose steps are not kept at a pause "
                    "(not built)")
        if request.mode == "text" and self.version.pipeline == "LTX2DFRPipeline":
            return "LTX-2.5's DFR passes and temporal refine rounds are not kept at a pause (not built)"
        if request.enhance_prompt or request.auto_seconds:
            return "a take whose prompt or length the model works out is not kept at a pause (not built)"
        if self.pipe.scheduler.config.get("stochastic_sampling"):
            # Its steps draw fresh noise: continuing would need the generator's state too (not built).
            return "this model's scheduler samples stochastically, so its steps are not kept at a pause (not built)"
        return None

    def _keeper(self, request: Recipe, run: _Pass, point: ResumePoint | None) -> Any:
        """The step callback's `keep`: the loop's latents at a pause, as this job's resume point."""
        checkpoint = self.checkpoint

        def keep(pipe: Any, index: int, tensors: dict[str, Any]) -> None:
            sigmas = point.sigmas if point is not None else [float(s) for s in pipe.scheduler.sigmas[:-1].tolist()]
            done = (point.step if point is not None else 0) + index + 1
            if done >= len(sigmas) or "audio_latents" not in tensors:
                return  # the pass is over (its output is not kept): Resume restarts the take
            checkpoint.kept = ResumePoint(
                stage=run.stage, step=done, steps=len(sigmas), sigmas=sigmas,
                latents=tensors["latents"].detach().to("cpu", copy=True),
                audio_latents=tensors["audio_latents"].detach().to("cpu", copy=True),
                take_step=run.offset + done, take_total=run.total, seed=request.seed or 0)

        return keep

    @staticmethod
    def _resume_args(pipe: Any, point: ResumePoint) -> dict[str, Any]:
        """Pipeline arguments that continue a pass from `point`: the loop's latents, no fresh noise, the sigmas left.

        Packed (3-D) video latents are used as given; packed audio latents are normalised by the pipeline on the
        way in, so they go in denormalised."""
        device = pipe._execution_device
        audio = pipe._denormalize_audio_latents(point.audio_latents, pipe.audio_vae.latents_mean,
                                                pipe.audio_vae.latents_std)
        return {"latents": point.latents.to(device), "audio_latents": audio.to(device), "noise_scale": 0.0,
                "sigmas": point.remaining_sigmas}

    # ---- one pass -------------------------------------------------------------------------------
    def _steps(self, request: Recipe) -> int:
        if self.version.sigmas is not None:
            return len(self.version.sigmas)
        return request.steps or self.spec.default_steps

    def _guidance(self, request: Recipe) -> float:
        if self.version.distilled:
            return 1.0  # distilled checkpoints run unguided
        return request.guidance if request.guidance is not None else self.spec.default_guidance

    def guidance_args(self, request: Recipe, refine: bool = False) -> dict[str, Any]:
        """The pipeline keyword arguments this backend adds for `request` (guidance terms, tiny-model limits)."""
        args = {**self.call_args,
                **(self.version.refine_args() if refine else self.version.call_args(self._guidance(request)))}
        blocks = args.get("spatio_temporal_guidance_blocks")
        if blocks:  # a tiny transformer has fewer blocks than block 28: perturb its last one instead
            layers = len(self.pipe.transformer.transformer_blocks)
            args["spatio_temporal_guidance_blocks"] = [b for b in blocks if b < layers] or [layers - 1]
        return args

    def _denoise(self, pipe: Any, request: Recipe, width: int, height: int, num_frames: int, fps: float,
                 generator: Any, progress: ProgressFn, cancel: CancelToken, run: _Pass, *, refine: bool = False,
                 dfr: bool = False, **extra: Any) -> tuple[Any, ...]:
        """One pipeline pass to latents: (raw video latents (1, C, F, H, W), raw audio latents (1, C, L, M)).

        `dfr`: an LTX2DFRPipeline pass, which also returns its keyframe slots and their positions and takes only
        the schedule (it runs distilled, unguided).
        """
        prompt, negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        latent_frames = (num_frames - 1) // self.temporal_ratio + 1
        lh, lw = height // self.spatial_multiple, width // self.spatial_multiple

        def preview(latents: Any) -> np.ndarray:
            return packed_latents_preview(latents, latent_frames, lh, lw)

        cancel.raise_if_cancelled()
        if run.offset == 0:
            progress("encoding", 0, run.total, None)
        if dfr:
            callback = step_callback(run.total, progress, cancel, preview, offset=run.offset)
            return tuple(pipe(
                prompt=prompt or " ", height=height, width=width, num_frames=num_frames, frame_rate=float(fps),
                generator=generator, output_type="latent", return_dict=False, callback_on_step_end=callback,
                use_cross_timestep=self.version.use_cross_timestep, **self.call_args, **extra))
        point = self.checkpoint.start_for(run.stage)
        args = {**self.guidance_args(request, refine), **extra}
        if point is not None:
            args.update(self._resume_args(pipe, point))
        if "sigmas" not in args and self.version.sigmas is not None:
            args["sigmas"] = list(self.version.sigmas)
        args["num_inference_steps"] = len(args["sigmas"]) if "sigmas" in args else run.steps
        callback = step_callback(run.total, progress, cancel, preview, offset=run.offset + (point.step if point else 0),
                                 keep=self._keeper(request, run, point))
        if "audio_latents" not in pipe._callback_tensor_inputs:
            # The loop hands the callback any of its locals named here, but diffusers 0.42.1 lists only the video
            # latents as allowed; the audio latents are needed too for a resume point.
            pipe._callback_tensor_inputs = [*pipe._callback_tensor_inputs, "audio_latents"]
        # A resumed pass's sigmas are already shifted: the scheduler must use them as given.
        with self._unshifted(pipe) if point is not None else contextlib.nullcontext():
            video, audio = pipe(
                prompt=prompt or " ", negative_prompt=negative, height=height, width=width, num_frames=num_frames,
                frame_rate=float(fps), generator=generator, output_type="latent", return_dict=False,
                callback_on_step_end=callback, callback_on_step_end_tensor_inputs=["latents", "audio_latents"],
                **args,
            )
        return video, audio

    def _render(self, video: Any, audio: Any, count: int, width: int, height: int,
                fps: float) -> GenerationResult:
        """Latents -> exactly `count` uint8 frames at width x height and sound of the same length."""
        frames = decode_video(self.pipe.vae, video, count, width, height)
        sound, rate = decode_audio(self.pipe, audio)
        return GenerationResult(frames, timing.fit_audio(sound, rate, count / fps), rate, float(fps))

    # ---- modes ----------------------------------------------------------------------------------
    @mode("text")
    def _text(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
              cancel: CancelToken) -> GenerationResult:
        return self._fresh(request, progress, cancel, conditions=None)

    @mode("image")
    def _image(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
               cancel: CancelToken) -> GenerationResult:
        return self._fresh(request, progress, cancel, conditions=[(read_image(request.image), 0)])

    @mode("keyframes")
    def _keyframes(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                   cancel: CancelToken) -> GenerationResult:
        num_frames = timing.valid_frame_count(request.frame_count, self.temporal_ratio)
        last_latent = (num_frames - 1) // self.temporal_ratio
        images = [read_image(path) for path in request.keyframes]
        indices = [round(i * last_latent / (len(images) - 1)) for i in range(len(images))]
        return self._fresh(request, progress, cancel, conditions=list(zip(images, indices)))

    def _fresh(self, request: Recipe, progress: ProgressFn, cancel: CancelToken,
               conditions: list[tuple[np.ndarray, int]] | None) -> GenerationResult:
        if self.version.pipeline == "LTX2DFRPipeline" and not conditions:
            return self._fresh_dfr(request, progress, cancel)
        count = request.frame_count
        num_frames = timing.valid_frame_count(count, self.temporal_ratio)
        generator = torch_generator(request.seed or 0)  # one noise stream through both stages, as the docs do
        extra: dict[str, Any] = {}
        pipe = self.pipe
        if conditions:
            from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

            pipe = self._condition()
            extra["conditions"] = [LTX2VideoCondition(frames=image, index=index, strength=1.0)
                                   for image, index in conditions]
        steps = self._steps(request)
        half = self._two_stage_size(request.width, request.height)
        if half is None:
            width, height = self._size(request.width, request.height)
            video, audio = self._denoise(pipe, request, width, height, num_frames, request.fps, generator, progress,
                                         cancel, _Pass(steps, 0, steps), **extra)
            return self._render(video, audio, count, request.width, request.height, request.fps)
        total = steps + len(STAGE_2_SIGMAS)
        timings: dict[str, float] = {}
        upscaled = audio = None  # a job paused in the refinement continues from its own latents (stage 1 is done)
        if self.checkpoint.start_for(1) is None:
            video, audio = self._denoise(pipe, request, half[0], half[1], num_frames, request.fps, generator,
                                         progress, cancel, _Pass(steps, 0, total), **extra)
            started = time.monotonic()
            cancel.raise_if_cancelled()
            upscaled = self._upsampler()(latents=video, latents_normalized=False, output_type="latent",
                                         return_dict=False)[0]
            timings["upscale_s"] = time.monotonic() - started
        with self._refining(pipe):
            video, audio = self._denoise(
                pipe, request, 2 * half[0], 2 * half[1], num_frames, request.fps, generator, progress, cancel,
                _Pass(len(STAGE_2_SIGMAS), steps, total, stage=1), refine=True, latents=upscaled,
                audio_latents=audio, sigmas=list(STAGE_2_SIGMAS), noise_scale=STAGE_2_SIGMAS[0], **extra)
        result = self._render(video, audio, count, request.width, request.height, request.fps)
        result.timings.update(timings)
        return result

    def _fresh_dfr(self, request: Recipe, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        """LTX-2.5, the diffusers 1080p recipe: a DFR pass (video, sound and keyframe slots); at large sizes, the
        half-size pass, the latent upsampler on the canvas and its slots, a full-size DFR pass over the 3 stage-2
        sigmas (with the detailing IC-LoRA at 0.5 when the model folder has it), then the temporal refine rounds
        (each doubles frames and frame rate, so the passes before them run at the requested rate / 2**rounds and
        the rounds bring it back to the requested rate).

        The shipped sound is the first pass's (the DFR docs: later passes re-run audio jointly, the caller keeps
        stage 1's).
        """
        from diffusers.pipelines.ltx2.utils import trim_canvas

        pipe = self._dfr()
        count = request.frame_count
        ratio = self.temporal_ratio
        generator = torch_generator(request.seed or 0)
        sigmas = list(self.version.sigmas or DISTILLED_SIGMAS)
        half = self._two_stage_size(request.width, request.height)
        rounds = self._temporal_rounds() if half is not None else 0
        scale = 2 ** rounds
        num_frames = timing.valid_frame_count(math.ceil((count - 1) / scale) + 1, ratio)
        fps = request.fps / scale
        width, height = half or self._size(request.width, request.height)
        total = len(sigmas) + (len(STAGE_2_SIGMAS) if half else 0) + rounds * len(TEMPORAL_ROUND_SIGMAS)
        canvas, audio, slots, positions = self._denoise(
            pipe, request, width, height, num_frames, fps, generator, progress, cancel,
            _Pass(len(sigmas), 0, total), sigmas=sigmas, dfr=True)
        timings: dict[str, float] = {}
        if half is not None:
            started = time.monotonic()
            upsample = self._upsampler()
            canvas_up = upsample(latents=canvas, latents_normalized=False, output_type="latent", return_dict=False)[0]
            slots_up = upsample(latents=slots, latents_normalized=False, output_type="latent", return_dict=False)[0]
            timings["upscale_s"] = time.monotonic() - started
            width, height = 2 * width, 2 * height
            # The detailing IC-LoRA attends to stage 1's half-size canvas as a clean reference; without the LoRA
            # the base weights get no reference tokens (they were not trained on them).
            detailing = self._load_detailing_lora()
            reference = {"reference_latents": canvas} if detailing else {}
            with self._adapter(DETAILING_ADAPTER if detailing else None, DETAILING_WEIGHT):
                canvas, _audio, slots, positions = self._denoise(
                    pipe, request, width, height, num_frames, fps, generator, progress, cancel,
                    _Pass(len(STAGE_2_SIGMAS), len(sigmas), total), dfr=True, latents=canvas_up,
                    audio_latents=audio, keyframes_latents=slots_up, keyframe_positions=positions,
                    sigmas=list(STAGE_2_SIGMAS), noise_scale=STAGE_2_SIGMAS[0], **reference)
        if rounds:
            started = time.monotonic()
            canvas, slots, positions = self._temporal_rounds_run(
                request, canvas, slots, positions, audio, width, height, fps, rounds, generator, progress, cancel,
                offset=total - rounds * len(TEMPORAL_ROUND_SIGMAS), total=total)
            timings["temporal_s"] = time.monotonic() - started
        canvas = trim_canvas(canvas, scale * (num_frames - 1) + 1, ratio)
        result = self._render(canvas, audio, count, request.width, request.height, request.fps)
        result.timings.update(timings)
        return result

    def _temporal_rounds(self) -> int:
        """How many x2 temporal refine rounds a two-stage fresh clip gets: 0 without a temporal upsampler."""
        rounds = int(self.spec.options.get("temporal_rounds", self.version.temporal_rounds))
        return rounds if rounds > 0 and self._temporal() is not None else 0

    def _temporal_rounds_run(self, request: Recipe, canvas: Any, slots: Any, positions: list[int], audio: Any,
                             width: int, height: int, fps: float, rounds: int, generator: Any, progress: ProgressFn,
                             cancel: CancelToken, *, offset: int, total: int) -> tuple[Any, Any, list[int]]:
        """`rounds` temporal refine rounds over the untrimmed canvas; each round sees stage 1's frozen sound.

        A round steps its sigmas once per temporal tile; progress counts it as `len(sigmas)` steps of the take.
        """
        pipe = self._temporal()
        prompt, _negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        ratio = self.temporal_ratio
        source_seconds = ((canvas.shape[2] - 1) * ratio + 1) / fps  # stage 1's duration, fixed across rounds
        budget = len(TEMPORAL_ROUND_SIGMAS)
        for index in range(1, rounds + 1):
            cancel.raise_if_cancelled()
            report = step_callback(total, progress, cancel, None, offset=offset + (index - 1) * budget)

            def callback(round_pipe: Any, step: int, timestep: Any, tensors: dict[str, Any],
                         report: Any = report) -> dict[str, Any]:
                done = (step + 1) * budget // max(1, round_pipe.num_timesteps)
                return report(round_pipe, done - 1, timestep, tensors) if done else {}

            canvas, _audio, slots, positions = pipe(
                prompt=prompt or " ", latents=canvas, keyframes_latents=slots, keyframe_positions=positions,
                audio_latents=audio, height=height, width=width, num_frames=(canvas.shape[2] - 1) * ratio + 1,
                frame_rate=fps * 2 ** (index - 1), source_seconds=source_seconds, round_index=index,
                sigmas=list(TEMPORAL_ROUND_SIGMAS), generator=generator, output_type="latent", return_dict=False,
                callback_on_step_end=callback, use_cross_timestep=self.version.use_cross_timestep,
                **self.call_args)
        return canvas, slots, positions

    @mode("extend")
    def _extend(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                cancel: CancelToken) -> GenerationResult:
        """Parent + new material as one clip; the parent's frames and sound are kept as they were."""
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        assert source is not None
        width, height = self._size(request.width, request.height)
        held = min(self.temporal_ratio + 1, len(source.frames))
        tail = timing.resize_frames(source.frames[-held:], width, height)
        new_count = request.frame_count
        num_frames = timing.valid_frame_count(held + new_count, self.temporal_ratio)
        condition = LTX2VideoCondition(frames=tail, index=0, strength=1.0)
        steps = self._steps(request)
        video, audio = self._denoise(self._condition(), request, width, height, num_frames, request.fps,
                                     torch_generator(request.seed or 0), progress, cancel,
                                     _Pass(steps, 0, steps), conditions=[condition])
        made = self._render(video, audio, held + new_count, source.frames.shape[2], source.frames.shape[1],
                            request.fps)
        all_frames = np.concatenate([source.frames, made.frames[held:]], axis=0)
        rate = made.sample_rate
        joined = timing.append_after(source_audio(source, rate), made.audio, rate, held / request.fps)
        return GenerationResult(all_frames, timing.fit_audio(joined, rate, len(all_frames) / source.fps), rate,
                                source.fps)

    @mode("video")
    def _video_to_video(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                        cancel: CancelToken) -> GenerationResult:
        """SDEdit: the parent's latents (pictures and sound) noised to `strength`, then denoised from there."""
        assert source is not None
        width, height = self._size(request.width, request.height)
        count = len(source.frames)
        num_frames = timing.valid_frame_count(count, self.temporal_ratio)
        pixels = timing.resize_frames(timing.fit_frames(source.frames, num_frames), width, height)
        video_latents = self._encode_video(pixels)
        pipe = self.pipe
        per_second = pipe.audio_sampling_rate / pipe.audio_hop_length / pipe.audio_vae_temporal_compression_ratio
        audio_latents = encode_audio(pipe, source.audio, source.sample_rate, num_frames / source.fps,
                                     round(num_frames / source.fps * per_second))
        sigmas = sdedit_sigmas(request.strength, self._steps(request), self.version.sigmas)
        with self._unshifted(self.pipe):
            video, audio = self._denoise(self.pipe, request, width, height, num_frames, source.fps,
                                         torch_generator(request.seed or 0), progress, cancel,
                                         _Pass(len(sigmas), 0, len(sigmas)), latents=video_latents, audio_latents=audio_latents,
                                         noise_scale=float(request.strength), sigmas=sigmas)
        return self._render(video, audio, count, source.frames.shape[2], source.frames.shape[1], source.fps)

    @mode("retake")
    def _retake(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                cancel: CancelToken) -> GenerationResult:
        assert source is not None and request.range_from is not None and request.range_to is not None
        redo = self._video_to_video(request, source=source, progress=progress, cancel=cancel)
        start = min(len(source.frames) - 1, round(request.range_from * source.fps))
        end = min(len(source.frames), max(start + 1, round(request.range_to * source.fps)))
        frames = timing.splice_range(source.frames, redo.frames[start:end], start, fade=min(4, (end - start) // 2))
        rate = redo.sample_rate
        base = source_audio(source, rate)
        a0, a1 = round(start / source.fps * rate), round(end / source.fps * rate)
        audio = timing.splice_range(base, redo.audio[a0:a1], a0, fade=round(timing.SEAM_FADE_S * rate))
        return GenerationResult(frames, audio, rate, source.fps)

    def _encode_video(self, frames: np.ndarray) -> Any:
        """uint8 frames -> raw VAE latents (B, C, F, H, W), the form LTX2Pipeline's `latents=` normalises itself."""
        import torch

        vae = self.pipe.vae
        device = self.pipe._execution_device
        pixels = torch.from_numpy(frames).to(torch.float32).permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0
        return vae.encode(pixels.to(device=device, dtype=vae.dtype)).latent_dist.mode()


def sdedit_sigmas(strength: float, steps: int, schedule: tuple[float, ...] | None) -> list[float]:
    """The sigmas of an SDEdit pass that starts at `strength`: the part of the schedule below it.

    A distilled model keeps its own schedule's sigmas below `strength`; a full model gets a linear ramp
    over the share of its steps that `strength` asks for (at least one).
    """
    if schedule is not None:
        return [strength] + [s for s in schedule if s < strength]
    kept = max(1, round(steps * strength))
    return [float(s) for s in np.linspace(strength, strength / kept, kept)]


__all__ = ["DISTILLED_SIGMAS", "LTX2Backend", "sdedit_sigmas"]
