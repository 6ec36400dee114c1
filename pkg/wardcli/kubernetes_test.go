package wardcli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/wardsec/ward/pkg/evidence"
)

// The parts of a Kubernetes Job the test plays.
type k8sJob struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int
		Parallelism    int
		Template       struct {
			Spec struct {
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer
				Volumes        []k8sVolume
			}
		}
	}
}

type k8sContainer struct {
	Name         string
	WorkingDir   string `yaml:"workingDir"`
	Command      []string
	Args         []string
	VolumeMounts []struct {
		Name      string
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sVolume struct {
	Name                  string
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	ConfigMap *struct{ Name string } `yaml:"configMap"`
	Secret    *struct {
		SecretName string `yaml:"secretName"`
	}
	EmptyDir *struct{} `yaml:"emptyDir"`
}

// k8sCluster stands for the cluster objects the Jobs mount: each claim,
// ConfigMap and Secret is one directory, shared by every pod that mounts it,
// as a ReadWriteMany claim is.
type k8sCluster struct {
	root    string
	sources map[string]string // "pvc/NAME", "configmap/NAME", "secret/NAME" -> directory
}

// dirFor is the directory standing for volume v in a pod whose own
// (emptyDir) volumes live under podDir.
func (c *k8sCluster) dirFor(t *testing.T, v k8sVolume, podDir string) string {
	t.Helper()
	var key string
	switch {
	case v.PersistentVolumeClaim != nil:
		key = "pvc/" + v.PersistentVolumeClaim.ClaimName
	case v.ConfigMap != nil:
		key = "configmap/" + v.ConfigMap.Name
	case v.Secret != nil:
		key = "secret/" + v.Secret.SecretName
	case v.EmptyDir != nil:
		d := filepath.Join(podDir, "emptydir-"+v.Name)
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	default:
		t.Fatalf("volume %s: a kind the test does not play", v.Name)
	}
	d, ok := c.sources[key]
	require.True(t, ok, "the Job mounts %s, which the test did not create", key)
	return d
}

// k8sPod is one pod's container, ready to run.
type k8sPod struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// run runs the container and returns its exit status and output. It may
// be called from any goroutine.
func (p *k8sPod) run() (int, string, error) {
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	err := p.cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), p.out.String(), nil
	}
	return 0, p.out.String(), err
}

// pod prepares container ct of job as its pod runs it: its command and args
// as written, in a pod directory, with every mount path in the args standing
// for the directory of its volume, and env added. ward-bin (filled by the
// init container) holds the test's ward binary.
func (c *k8sCluster) pod(t *testing.T, ctx context.Context, job k8sJob, ct k8sContainer, pod string, wardBin string, env ...string) *k8sPod {
	t.Helper()
	podDir := filepath.Join(c.root, "pods", pod)
	require.NoError(t, os.MkdirAll(podDir, 0o755))
	vols := map[string]k8sVolume{}
	for _, v := range job.Spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	mounts := slices.Clone(ct.VolumeMounts)
	// Longest mount path first: /opt/ward before /opt.
	slices.SortFunc(mounts, func(a, b struct {
		Name      string
		MountPath string `yaml:"mountPath"`
	}) int {
		return len(b.MountPath) - len(a.MountPath)
	})
	var pairs []string
	for _, m := range mounts {
		v, ok := vols[m.Name]
		require.True(t, ok, "%s mounts volume %s, which the Job does not define", ct.Name, m.Name)
		dir := c.dirFor(t, v, podDir)
		if v.EmptyDir != nil && m.Name == "ward-bin" {
			// What the init container built.
			require.NoError(t, os.Symlink(wardBin, filepath.Join(dir, "ward")))
		}
		pairs = append(pairs, m.MountPath, dir)
	}
	paths := strings.NewReplacer(pairs...)
	require.NotEmpty(t, ct.Command)
	args := slices.Clone(ct.Command[1:])
	for _, a := range ct.Args {
		args = append(args, paths.Replace(a))
	}
	cmd := exec.CommandContext(ctx, ct.Command[0], args...)
	cmd.Dir = filepath.Join(podDir, "workdir")
	require.NoError(t, os.MkdirAll(cmd.Dir, 0o755))
	cmd.Env = append(os.Environ(), env...)
	return &k8sPod{cmd: cmd}
}

// runPod prepares and runs a pod on the test's goroutine.
func (c *k8sCluster) runPod(t *testing.T, ctx context.Context, job k8sJob, ct k8sContainer, pod string, wardBin string, env ...string) (int, string) {
	t.Helper()
	code, out, err := c.pod(t, ctx, job, ct, pod, wardBin, env...).run()
	require.NoError(t, err, "%s: %s", pod, out)
	return code, out
}

// controlsView is what an unsharded run and the merge of its shards must
// agree on: the targets in fleet order, who they are, and each control's
// outcome.
type controlsView struct {
	URI      string
	Serial   string
	Error    string
	Controls map[string]evidence.Outcome
}

func controlsOf(t *testing.T, dir string) []controlsView {
	t.Helper()
	run, err := evidence.ReadRun(dir)
	require.NoError(t, err)
	out := make([]controlsView, 0, len(run.Targets))
	for _, tg := range run.Targets {
		v := controlsView{URI: tg.URI, Serial: tg.Identity.Serial, Error: tg.Error, Controls: map[string]evidence.Outcome{}}
		for _, c := range tg.Controls {
			v.Controls[c.ID] = c.Outcome
		}
		out = append(out, v)
	}
	return out
}

// TestKubernetesIndexedJob is the path of a user outgrowing one machine,
// played as examples/ci/kubernetes-indexed-job.yaml describes it: the check
// Job's pods (one per completion index, JOB_COMPLETION_INDEX set, up to its
// parallelism at once) run the container's shell command as written, with
// the real ward binary, the fleet from the ConfigMap and the signing key
// from the Secret, each writing its shard to the shared evidence claim (a
// directory here, as a ReadWriteMany volume is). The merge Job's pod then
// verifies every shard and merges them. The merged bundle verifies and has
// exactly the per-target, per-control outcomes of one unsharded run of
// the same fleet. A shard altered on the claim stops the merge Job.
//
// The fleet is 40 simulated pumps, some weakened, so targets' outcomes
// differ and a merge that misplaced one would show. WARD_K8S_UNITS=1000
// runs the same test at 1,000 units (about 15 minutes on 2 cores; not in
// CI). At 1,000 devices the Job is the same with the ConfigMap's count
// raised: each of the 8 pods
// checks 125 units (about half a CPU-second each, BenchmarkFleet's
// cpu-ms/pump), and the merge verifies and reads 8 shard bundles; raise
// completions, parallelism and the --shard denominator together for more
// pods. examples/ci/README.md says where shards are collected (the shared
// ReadWriteMany claim played here, or an object store).
func TestKubernetesIndexedJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ward and checks a 40-unit fleet twice")
	}
	units := 40
	if v := os.Getenv("WARD_K8S_UNITS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "WARD_K8S_UNITS")
		require.GreaterOrEqual(t, n, 10, "WARD_K8S_UNITS: the fleet needs its 6 weakened units and some secure ones")
		units = n
	}
	// Two runs of the fleet (sharded and not) share the machine; about
	// 1.5 s of wall time per unit covers both on 2 busy cores.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute+time.Duration(units)*1500*time.Millisecond)
	defer cancel()
	b, err := os.ReadFile("../../examples/ci/kubernetes-indexed-job.yaml")
	require.NoError(t, err)
	var check, merge k8sJob
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var j k8sJob
		if err := dec.Decode(&j); err != nil {
			break
		}
		switch j.Metadata.Name {
		case "ward-fleet-check":
			check = j
		case "ward-fleet-merge":
			merge = j
		}
	}
	require.Equal(t, "Job", check.Kind, "the example defines the check Job")
	require.Equal(t, "Job", merge.Kind, "the example defines the merge Job")
	require.Equal(t, "Indexed", check.Spec.CompletionMode)
	shards, parallel := check.Spec.Completions, max(check.Spec.Parallelism, 1)
	require.GreaterOrEqual(t, shards, 2)
	require.Len(t, check.Spec.Template.Spec.Containers, 1)
	require.Len(t, merge.Spec.Template.Spec.Containers, 1)
	checker, merger := check.Spec.Template.Spec.Containers[0], merge.Spec.Template.Spec.Containers[0]
	// Both Jobs build ward where their container runs it.
	for _, j := range []k8sJob{check, merge} {
		require.Len(t, j.Spec.Template.Spec.InitContainers, 1, j.Metadata.Name)
		init := j.Spec.Template.Spec.InitContainers[0]
		assert.Contains(t, strings.Join(init.Args, " "), "go build -o /opt/ward/ward ./cmd/ward", j.Metadata.Name)
		assert.Contains(t, strings.Join(j.Spec.Template.Spec.Containers[0].Args, " "), "/opt/ward/ward ", j.Metadata.Name)
	}

	// The ward binary, built once, as the init containers build it.
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "go is on PATH when tests run")
	wardBin := filepath.Join(t.TempDir(), "ward")
	build := exec.CommandContext(ctx, goTool, "build", "-o", wardBin, "../../cmd/ward")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The cluster's objects: the fleet ConfigMap, the signing key Secret,
	// the shared evidence claim, the source checkout.
	root := t.TempDir()
	cl := &k8sCluster{root: root, sources: map[string]string{}}
	for _, k := range []string{"pvc/ward-evidence", "configmap/ward-fleet", "secret/ward-signing-key"} {
		d := filepath.Join(root, strings.ReplaceAll(k, "/", "-"))
		require.NoError(t, os.MkdirAll(d, 0o755))
		cl.sources[k] = d
	}
	src, err := filepath.Abs("../..")
	require.NoError(t, err)
	cl.sources["pvc/ward-src"] = src
	fleetFile := filepath.Join(cl.sources["configmap/ward-fleet"], "fleet.txt")
	require.NoError(t, os.WriteFile(fleetFile, []byte(
		fmt.Sprintf("# %d infusion pumps: most secure, a few with a protection off\n", units)+
			fmt.Sprintf("sim://infusion-pump?serial=WARD count=%d\n", units-6)+
			"sim://infusion-pump?serial=NOAUTH&weaken=no-auth count=3\n"+
			"sim://infusion-pump?serial=LOSSY&weaken=lossy-backup count=3\n"), 0o644))
	key, pub := keyPair(t)
	for src, dst := range map[string]string{key: "ward.pem", pub: "ward.pub.pem"} {
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(cl.sources["secret/ward-signing-key"], dst), data, 0o600))
	}

	// The unsharded run to compare with, started beside the Job's pods.
	single := filepath.Join(root, "single")
	var singleOut []byte
	var singleErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		singleOut, singleErr = exec.CommandContext(ctx, wardBin, "check", "--targets", fleetFile, "--sign-key", key, "--out", single).CombinedOutput()
	})

	// The check Job: one pod per completion index, parallelism at once.
	type podResult struct {
		code int
		out  string
		err  error
	}
	results := make([]podResult, shards)
	sem := make(chan struct{}, parallel)
	var pods sync.WaitGroup
	for i := range shards {
		pod := cl.pod(t, ctx, check, checker, fmt.Sprintf("ward-fleet-check-%d", i), wardBin, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		sem <- struct{}{}
		pods.Go(func() {
			defer func() { <-sem }()
			code, out, err := pod.run()
			results[i] = podResult{code, out, err}
		})
	}
	pods.Wait()
	for i, r := range results {
		require.NoError(t, r.err, "pod %d of the check Job", i)
		require.Equal(t, 0, r.code, "pod %d of the check Job failed:\n%s", i, r.out)
	}
	wg.Wait()
	if ee, ok := singleErr.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("the unsharded run: %v (want exit 1: the weakened units fail controls)\n%s", singleErr, singleOut)
	}

	// Every index wrote its own shard to the claim, each signed.
	evidenceDir := cl.sources["pvc/ward-evidence"]
	for i := 1; i <= shards; i++ {
		dir := bundleIn(t, filepath.Join(evidenceDir, fmt.Sprintf("shard-%d", i)))
		run, err := evidence.ReadRun(dir)
		require.NoError(t, err)
		require.NotNil(t, run.Shard, "shard-%d", i)
		assert.Equal(t, i, run.Shard.Index)
		assert.Equal(t, shards, run.Shard.Count)
		assert.NotEmpty(t, run.Targets, "shard-%d checked no target", i)
	}

	// The merge Job verifies every shard, then merges.
	code, out := cl.runPod(t, ctx, merge, merger, "ward-fleet-merge", wardBin)
	require.Equal(t, 0, code, "the merge Job failed:\n%s", out)
	assert.Equal(t, shards, strings.Count(out, "intact: "), "the merge Job verifies each of the %d shards:\n%s", shards, out)
	merged := bundleIn(t, filepath.Join(evidenceDir, "merged"))
	vout, err := exec.CommandContext(ctx, wardBin, "evidence", "verify", "--pubkey", pub, merged).CombinedOutput()
	require.NoError(t, err, "the merged bundle verifies against the published key:\n%s", vout)

	want, got := controlsOf(t, bundleIn(t, single)), controlsOf(t, merged)
	require.Len(t, want, units)
	require.Len(t, got, len(want), "the merged bundle holds every target once")
	for i := range want {
		assert.Equal(t, want[i], got[i], "target %d", i+1)
	}
	var failing int
	for _, v := range want {
		if slices.Contains(slices.Collect(maps.Values(v.Controls)), evidence.NotSatisfied) {
			failing++
		}
	}
	assert.Equal(t, 6, failing, "exactly the weakened units fail a control")

	// A shard altered on the claim: the merge Job stops before merging.
	require.NoError(t, os.RemoveAll(filepath.Join(evidenceDir, "merged")))
	victim := bundleIn(t, filepath.Join(evidenceDir, "shard-2"))
	altered := alterOneFile(t, victim)
	code, out = cl.runPod(t, ctx, merge, merger, "ward-fleet-merge-again", wardBin)
	assert.NotEqual(t, 0, code, "the merge Job merged an altered shard:\n%s", out)
	assert.Contains(t, out, filepath.Base(altered), "the failure names the altered file")
	_, err = os.Stat(filepath.Join(evidenceDir, "merged"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing merged from an altered shard")
}

// alterOneFile flips a byte in a file of the bundle other than its manifest
// and signature, and returns its path.
func alterOneFile(t *testing.T, bundle string) string {
	t.Helper()
	var victim string
	err := filepath.WalkDir(bundle, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || victim != "" {
			return err
		}
		if strings.HasPrefix(d.Name(), "manifest.") {
			return nil
		}
		victim = p
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, victim)
	data, err := os.ReadFile(victim)
	require.NoError(t, err)
	require.NotEmpty(t, data)
	data[len(data)/2] ^= 0x01
	require.NoError(t, os.WriteFile(victim, data, 0o644))
	return victim
}
