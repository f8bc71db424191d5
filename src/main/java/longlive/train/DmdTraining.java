package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitParams;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.RandomModel;
import longlive.sampling.FlowMatchSchedule;
import longlive.stream.InferenceConfig;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import longlive.text.tokenizer.WorldCaptions;

/**
 * Training stage 4b: Self-Forcing DMD (Self-Forcing {@code model/dmd.py} with {@code SelfForcingTrainingPipeline};
 * LongLive's {@code longlive_train_init.yaml}). Three networks of the same small architecture:
 * <ul>
 *   <li>the <b>generator</b>, the causal student (from stage 4a), rolled out exactly as at inference: block by block
 *       against its own sink + window KV cache, 4 denoising steps per block, a cache pass on each clean block. One
 *       random exit step (the same for every block, {@code same_step_across_blocks}) ends each block's denoising and
 *       is the only step run with gradient; the cache is filled without gradient, so each block's gradient flows
 *       through that one step ({@link DitTraining#forwardCachedBlock});</li>
 *   <li>the <b>real score</b>, the frozen bidirectional teacher, with classifier-free guidance (empty caption as the
 *       unconditional prompt);</li>
 *   <li>the <b>fake score</b> (critic), initialised from the teacher and trained with the unweighted flow loss
 *       ({@link CriticFlowLoss}) on the generator's detached rollouts.</li>
 * </ul>
 * Each iteration trains the critic on a fresh rollout; every {@code ratio}-th iteration first updates the generator
 * with the DMD gradient ({@link DmdLoss}) of its rollout noised at one timestep ({@link TimestepSampler#dmd}). AdamW
 * betas (0, 0.999), weight decay 0.01 for both, gradient clipping, EMA on the generator.
 *
 * <p>Output: {@code RUN/dmd/}, a streaming model directory (the student's with the generator's EMA DiT), and
 * {@code RUN/critic/model.safetensors}, the critic (streaming long tuning starts its critic from it).
 */
public final class DmdTraining implements Trainer.ExportingStage {
    static final String GENERATOR = "generator", CRITIC = "critic";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param student      the causal student's model directory (stage 4a's {@code RUN/student}); its text encoder,
     *                     VAE and inference settings are kept
     * @param teacher      the teacher's model directory (stage 3's {@code RUN/teacher}): real score and critic init
     * @param latentFrames latent frames per rollout (a multiple of 3)
     * @param ratio        critic updates per generator update ({@code dfake_gen_update_ratio}, 5 in the reference)
     * @param batch        rollouts per update, generator and critic alike; their gradients are averaged (the
     *                     reference's batch is one rollout per GPU on many GPUs)
     */
    public record Options(Path student, Path teacher, Path runDir, int latentFrames, double guidance, int ratio,
                          double genLr, double criticLr, long steps, double gradClip, double emaDecay, long seed,
                          int threads, int batch) {
        public Options {
            if (latentFrames < 3 || latentFrames % 3 != 0)
                throw new IllegalArgumentException("--latent-frames must be a positive multiple of 3 (the block size), got " + latentFrames);
            if (ratio < 1 || threads < 1) throw new IllegalArgumentException("--ratio and --threads must be >= 1");
            if (batch < 1 || batch > 1024) throw new IllegalArgumentException("--batch must be in 1..1024, got " + batch);
            if (!(genLr > 0) || !(criticLr > 0) || !(gradClip > 0) || !(emaDecay >= 0 && emaDecay < 1) || !(guidance >= 0))
                throw new IllegalArgumentException("bad learning rate / grad clip / EMA decay / guidance");
        }

        /** One rollout per update (the stage as it was before {@code --batch}). */
        public Options(Path student, Path teacher, Path runDir, int latentFrames, double guidance, int ratio,
                       double genLr, double criticLr, long steps, double gradClip, double emaDecay, long seed, int threads) {
            this(student, teacher, runDir, latentFrames, guidance, ratio, genLr, criticLr, steps, gradClip, emaDecay, seed,
                    threads, 1);
        }
    }

    private final Options o;
    private final PrintStream log;
    private final Parallel par;
    private final DitConfig cfg;
    private final InferenceConfig inf;
    private final FlowMatchSchedule schedule;
    private final float[] denoising;
    private final int frames, blocks, h, w, frameSize;
    private final TextEncoder text;
    private final List<String> captions;

    private final DitWeights gen, genGrad, critic, criticGrad;
    private final SelfForcingRollout rollout;
    private final DmdJudge judge;
    private final ParamSet genParams, criticParams;
    private final AdamW genAdam, criticAdam;
    private final Ema genEma;
    private final float[] dX, dScratch;
    private double lastDmd = Double.NaN, lastGenNorm = Double.NaN;

    public DmdTraining(Options o, PrintStream log) throws IOException {
        this.o = o;
        this.log = log;
        this.par = new Parallel(o.threads());
        Files.createDirectories(o.runDir());
        DistillationPair pair = DistillationPair.open(o.student(), o.teacher());
        ModelDirectory studentDir = pair.student(), teacherDir = pair.teacher();
        cfg = studentDir.dit();
        inf = studentDir.inference();
        if (inf.numFramePerBlock() != 3) throw new IllegalArgumentException(o.student() + ": the DMD stage expects 3 frames per block");
        schedule = new FlowMatchSchedule(inf.timestepShift());
        denoising = schedule.denoisingTimesteps(inf.denoisingStepList(), inf.warpDenoisingStep());
        frames = o.latentFrames();
        blocks = frames / 3;
        h = studentDir.latentHeight();
        w = studentDir.latentWidth();
        frameSize = cfg.inDim() * h * w;
        text = TextEncoder.load(studentDir.t5Weights(), studentDir.tokenizer(), cfg.textLen(), T5Kernels.fast(par), 4096);
        captions = WorldCaptions.sample(o.seed(), 1024);

        DitKernels dk = DitKernels.fast(par);
        gen = studentDir.loadDit(dk.matMul());
        genGrad = DitTraining.zerosLike(gen);
        DitWeights teacher = teacherDir.loadDit(dk.matMul());
        critic = teacherDir.loadDit(dk.matMul());
        criticGrad = DitTraining.zerosLike(critic);
        rollout = new SelfForcingRollout(gen, dk, inf, h, w, frames, blocks);
        judge = new DmdJudge(teacher, critic, criticGrad, dk, schedule, inf.timestepShift(), o.guidance(),
                text.encode("").data(), frames, h, w);
        genParams = new ParamSet();
        DitParams.register(gen, genGrad, genParams::add);
        criticParams = new ParamSet();
        DitParams.register(critic, criticGrad, criticParams::add);
        genAdam = new AdamW(genParams, AdamWConfig.longLive());
        criticAdam = new AdamW(criticParams, AdamWConfig.longLive());
        genEma = new Ema(genParams, o.emaDecay());
        dX = new float[frames * frameSize];
        dScratch = new float[frames * frameSize];
        boolean global = inf.globalAttention();
        log.printf("dmd init: generator %s, critic %s parameters; rollouts of %d latent frames (%dx%d) in %d blocks, "
                        + "window %s incl. sink %d; denoising timesteps %s; real score CFG %.1f; %d critic steps per generator "
                        + "step; batch %d; lr %.2g / %.2g; %d threads%n",
                genParams.count(), criticParams.count(), frames, h, w, blocks, global ? "global" : String.valueOf(inf.localAttnSize()),
                inf.sinkSize(), Arrays.toString(denoising), o.guidance(), o.ratio(), o.batch(), o.genLr(), o.criticLr(), o.threads());
    }

    @Override
    public String name() {
        return "dmd";
    }

    /** Generator update every {@code ratio}-th iteration, as the reference's {@code step % dfake_gen_update_ratio == 0}. */
    boolean generatorStep(long step) {
        return step % o.ratio() == 0;
    }

    @Override
    public Trainer.StepResult step(long step) {
        int batch = o.batch();
        if (generatorStep(step)) {
            genParams.zeroGrad();
            double sum = 0;
            for (int b = 0; b < batch; b++) sum += generatorLossOfSample(step * batch + b, true);
            lastDmd = sum / batch;
            genParams.scaleGrad(1.0 / batch);
            double genNorm = genParams.clipGradNorm(o.gradClip());
            lastGenNorm = genNorm;
            if (!Double.isFinite(genNorm)) throw new IllegalStateException("dmd step " + step + ": generator gradient norm " + genNorm);
            genAdam.step(o.genLr());
            genEma.update();
        }
        criticParams.zeroGrad();
        double cLoss = 0;
        for (int b = 0; b < batch; b++) cLoss += criticLossOfSample(step * batch + b, true);
        cLoss /= batch;
        criticParams.scaleGrad(1.0 / batch);
        double cNorm = criticParams.clipGradNorm(o.gradClip());
        if (!Double.isFinite(cNorm)) throw new IllegalStateException("dmd step " + step + ": critic gradient norm " + cNorm);
        criticAdam.step(o.criticLr());
        // the generator's figures of its latest step, so every progress line shows them (it updates every ratio-th step)
        Map<String, Double> extra = Double.isNaN(lastDmd) ? Map.of() : Map.of("dmd", lastDmd, "gen-norm", lastGenNorm);
        return new Trainer.StepResult(cLoss, cNorm, o.criticLr(), extra);
    }

    /** The caption of a draw: one of the world's captions, picked by (seed, stream, draw). */
    private String caption(long draw) {
        return captions.get(StepRng.of(o.seed(), StepRng.DATA, draw).nextInt(captions.size()));
    }

    /** Rolls the generator out over the whole clip from a fresh cache; with {@code withGrad} ready for backward. */
    void rollout(float[] prompt, long draw, boolean withGrad) {
        rollout.begin(prompt);
        rollout.generate(blocks, exitStepOf(draw), withGrad, StepRng.of(o.seed(), StepRng.NOISE, draw));
    }

    /** The generator's DMD loss on a fresh rollout; with {@code backward} accumulates its gradient. */
    double generatorLoss(long step, boolean backward) {
        return generatorLossOfSample(step * o.batch(), backward);
    }

    /** The DMD loss of the {@code sample}-th rollout (step × batch + index in the batch). */
    private double generatorLossOfSample(long sample, boolean backward) {
        long draw = 2 * sample;                               // generator and critic rollouts draw different streams
        float[] prompt = promptOf(draw);
        rollout(prompt, draw, backward);
        double loss = judge.generatorGradient(rollout.sequence(), 0, prompt, StepRng.of(o.seed(), StepRng.TIMESTEP, draw), null, dX);
        if (backward) {
            System.arraycopy(dX, 0, dScratch, 0, dX.length);
            rollout.backward(dScratch, 0, genGrad);
        }
        return loss;
    }

    /** The critic's flow loss on a fresh (detached) rollout; with {@code backward} accumulates its gradient. */
    double criticLoss(long step, boolean backward) {
        return criticLossOfSample(step * o.batch(), backward);
    }

    private double criticLossOfSample(long sample, boolean backward) {
        long draw = 2 * sample + 1;
        float[] prompt = promptOf(draw);
        rollout(prompt, draw, false);
        return judge.criticLoss(rollout.sequence(), 0, prompt, StepRng.of(o.seed(), StepRng.TIMESTEP, draw), backward);
    }

    /** The generator's DiT parameters (tests perturb them for finite differences). */
    ParamSet generatorParams() {
        return genParams;
    }

    /** The critic's parameters (tests). */
    ParamSet criticParams() {
        return criticParams;
    }

    /** The prompt embedding of a draw (tests). */
    float[] promptOf(long draw) {
        return text.encode(caption(draw)).data();
    }

    /** The exit step of a draw's rollout (tests). */
    int exitStepOf(long draw) {
        return TimestepSampler.exitSteps(StepRng.of(o.seed(), StepRng.EXIT_STEP, draw), blocks, denoising.length, true, false)[0];
    }

    /** The gradient of the last DMD loss w.r.t. the rollout (tests). */
    float[] lastDmdGradient() {
        return dX;
    }

    /** The last rollout (tests). */
    float[] lastRollout() {
        return rollout.sequence();
    }

    @Override
    public TrainCheckpoint checkpoint(long stepsDone) {
        TrainCheckpoint ck = TrainCheckpoint.at(stepsDone)
                .params(GENERATOR, genParams).optimizer(GENERATOR, genAdam).ema(GENERATOR, genEma)
                .params(CRITIC, criticParams).optimizer(CRITIC, criticAdam)
                .seed("train", o.seed());
        ck.meta().put("stage", "dmd");
        ck.dit(cfg);
        return ck;
    }

    @Override
    public void restore(SavedCheckpoint ck) {
        ck.requireDit(cfg, "a generator of");
        ck.restoreParams(GENERATOR, genParams);
        ck.restoreOptimizer(GENERATOR, genAdam);
        ck.restoreEma(GENERATOR, genEma);
        ck.restoreParams(CRITIC, criticParams);
        ck.restoreOptimizer(CRITIC, criticAdam);
    }

    /** Writes {@code RUN/dmd/} with the generator's EMA weights, and {@code RUN/dmd_summary.json}. */
    @Override
    public Path export(long steps, double seconds) throws IOException {
        Path dir = o.runDir().resolve("dmd");
        try (Ema.Averaged averaged = genEma.averagedIn()) {
            ModelExport.withDit(o.student(), dir, gen, "shapes-student-dmd", "causal student after Self-Forcing DMD (training stage 4b)");
        }
        Files.createDirectories(o.runDir().resolve("critic"));
        WanDitCheckpoint.save(critic, o.runDir().resolve("critic/model.safetensors"));   // stage 5 continues from it
        ObjectNode sum = JSON.createObjectNode();
        sum.put("steps", steps);
        sum.put("seconds_this_run", seconds);
        sum.put("latent_frames", frames);
        sum.put("guidance", o.guidance());
        sum.put("ratio", o.ratio());
        sum.put("batch", o.batch());
        sum.put("generator_lr", o.genLr());
        sum.put("critic_lr", o.criticLr());
        RandomModel.writeJson(o.runDir().resolve("dmd_summary.json"), sum);
        log.printf("wrote %s%n", dir);
        return dir;
    }

    @Override
    public void close() {
        par.close();
    }
}
