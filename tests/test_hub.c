/* io/hub: model resolution in a fake Hugging Face cache laid out as the hub lays it. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>

#define COMMIT_MAIN "0123456789abcdef0123456789abcdef01234567"
#define COMMIT_V1 "89abcdef0123456789abcdef0123456789abcdef"
#define COMMIT_LOOSE "fedcba9876543210fedcba9876543210fedcba98"

/* <root>/hub/models--org--name with refs main, v1, pr/1 and three snapshots. */
static const char *fake_cache(void)
{
    static char hub[4200];
    const char *root = test_tmpdir();
    const char *repo = "hub/models--org--name";
    char name[512];

    snprintf(hub, sizeof hub, "%s/hub", root);
    snprintf(name, sizeof name, "%s/refs/main", repo);
    test_write(root, name, COMMIT_MAIN "\n", 41);
    snprintf(name, sizeof name, "%s/refs/v1", repo);
    test_write(root, name, COMMIT_V1, 40);
    /* huggingface_hub stores the ref of revision "refs/pr/1" at refs/refs/pr/1. */
    snprintf(name, sizeof name, "%s/refs/refs/pr/1", repo);
    test_write(root, name, COMMIT_LOOSE, 40);
    snprintf(name, sizeof name, "%s/refs/broken", repo);
    test_write(root, name, "not a hash", 10);
    snprintf(name, sizeof name, "%s/refs/gone", repo);
    test_write(root, name, "1111111111111111111111111111111111111111", 40);
    const char *commits[] = {COMMIT_MAIN, COMMIT_V1, COMMIT_LOOSE};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s/snapshots/%s/config.json", repo, commits[i]);
        test_write(root, name, "{}", 2);
    }
    test_write(root, "hub/models--gpt2/refs/main", COMMIT_MAIN, 40);
    test_write(root, "hub/models--gpt2/snapshots/" COMMIT_MAIN "/config.json", "{}", 2);
    return hub;
}

static void set_cache_env(const char *hub_cache, const char *hf_home)
{
    unsetenv("HUGGINGFACE_HUB_CACHE");
    unsetenv("XDG_CACHE_HOME");
    if (hub_cache)
        setenv("HF_HUB_CACHE", hub_cache, 1);
    else
        unsetenv("HF_HUB_CACHE");
    if (hf_home)
        setenv("HF_HOME", hf_home, 1);
    else
        unsetenv("HF_HOME");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void repo_id_resolves_to_the_main_snapshot(void)
{
    mnlp_model_location loc;

    set_cache_env(fake_cache(), NULL);
    CHECK_OK(mnlp_model_locate("org/name", NULL, &loc));
    CHECK(loc.from_cache);
    CHECK(ends_with(loc.path, "/hub/models--org--name/snapshots/" COMMIT_MAIN));
    CHECK_STR(loc.repo_id, "org/name");
    CHECK_STR(loc.revision, "main");
    CHECK_STR(loc.commit, COMMIT_MAIN);
    CHECK_OK(mnlp_model_locate("gpt2", NULL, &loc));
    CHECK(ends_with(loc.path, "/hub/models--gpt2/snapshots/" COMMIT_MAIN));
}

static void revision_selects_branch_tag_pr_or_commit(void)
{
    mnlp_model_location loc;

    set_cache_env(fake_cache(), NULL);
    CHECK_OK(mnlp_model_locate("org/name", "v1", &loc));
    CHECK_STR(loc.commit, COMMIT_V1);
    CHECK_OK(mnlp_model_locate("org/name", "refs/pr/1", &loc));
    CHECK_STR(loc.commit, COMMIT_LOOSE);
    /* A commit hash with a snapshot but no ref pointing at it. */
    CHECK_OK(mnlp_model_locate("org/name", COMMIT_LOOSE, &loc));
    CHECK(ends_with(loc.path, COMMIT_LOOSE));
}

static void missing_things_are_named(void)
{
    mnlp_model_location loc;
    const char *hub = fake_cache();

    set_cache_env(hub, NULL);
    CHECK_ERR(mnlp_model_locate("org/other", NULL, &loc), MNLP_ERR_NOT_FOUND,
              "org/other is not a folder, and not in the Hugging Face cache");
    CHECK_ERR(mnlp_model_locate("org/other", NULL, &loc), MNLP_ERR_NOT_FOUND,
              "(no models--org--other)");
    CHECK_ERR(mnlp_model_locate("org/name", "v2", &loc), MNLP_ERR_NOT_FOUND,
              "revision \"v2\" is not in the cache (no refs/v2");
    CHECK_ERR(mnlp_model_locate("org/name", "gone", &loc), MNLP_ERR_NOT_FOUND,
              "is commit 1111111111111111111111111111111111111111, whose snapshot folder");
    CHECK_ERR(mnlp_model_locate("org/name", "broken", &loc), MNLP_ERR_FORMAT,
              "refs/broken: does not hold a 40-digit commit hash");
}

static void invalid_ids_and_revisions_are_refused(void)
{
    static const char *const bad_ids[] = {"org/name/extra", "org--x/name", "-org/name",
                                          "org/name.git", "org/../name", "org/na me", "org/",
                                          "./nowhere/x"};
    static const char *const bad_revs[] = {"..", "../main", "a/../b", "a//b", "/abs", ""};
    mnlp_model_location loc;

    set_cache_env(fake_cache(), NULL);
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++)
        CHECK_ERR(mnlp_model_locate(bad_ids[i], NULL, &loc), MNLP_ERR_NOT_FOUND,
                  "is neither a folder nor a valid repo id");
    for (size_t i = 0; i < sizeof bad_revs / sizeof *bad_revs; i++)
        CHECK_ERR(mnlp_model_locate("org/name", bad_revs[i], &loc),
                  MNLP_ERR_INVALID_ARGUMENT, "is not a valid branch, tag or commit name");
    CHECK_ERR(mnlp_model_locate("", NULL, &loc), MNLP_ERR_INVALID_ARGUMENT, "no model");
}

static void cache_location_follows_hf_environment(void)
{
    mnlp_model_location loc;
    const char *hub = fake_cache();
    char home[4200];

    /* HF_HOME/hub when HF_HUB_CACHE is unset. */
    snprintf(home, sizeof home, "%.*s", (int)(strlen(hub) - 4), hub);
    set_cache_env(NULL, home);
    CHECK_OK(mnlp_model_locate("org/name", NULL, &loc));
    CHECK_STR(loc.cache_dir, hub);
    /* HF_HUB_CACHE wins over HF_HOME. */
    set_cache_env(hub, "/nonexistent");
    CHECK_OK(mnlp_model_locate("org/name", NULL, &loc));
    /* ~ expands to HOME, as Python's expanduser does. */
    setenv("HOME", home, 1);
    set_cache_env("~/hub", NULL);
    CHECK_OK(mnlp_model_locate("org/name", NULL, &loc));
    CHECK_STR(loc.cache_dir, hub);
}

static void existing_folder_wins_over_repo_id(void)
{
    mnlp_model_location loc;
    const char *dir = test_tmpdir();

    set_cache_env(fake_cache(), NULL);
    CHECK_OK(mnlp_model_locate(dir, NULL, &loc));
    CHECK(!loc.from_cache);
    CHECK_STR(loc.path, dir);
}

TEST_SUITE(hub, T(repo_id_resolves_to_the_main_snapshot),
           T(revision_selects_branch_tag_pr_or_commit), T(missing_things_are_named),
           T(invalid_ids_and_revisions_are_refused), T(cache_location_follows_hf_environment),
           T(existing_folder_wins_over_repo_id));
