#!/usr/bin/env bash
# Install WordNet 3.0 for METEOR offline: Debian's wordnet-base + wordnet-sense-index, copied
# (not symlinked: NLTK rejects links that leave its data folder) into an NLTK data folder.
#
#   scripts/install-wordnet.sh [NLTK_DATA_DIR]      default: .venv/nltk_data
#
# radprompt's METEOR finds the copy through $NLTK_DATA or, by default, <venv>/nltk_data.
# Debian's packages lack the `lexnames` file NLTK's WordNetCorpusReader opens first; it is the
# fixed list of the 45 WordNet 3.0 lexicographer files (see lexnames(5WN)) and is written here.
set -euo pipefail

target="${1:-${NLTK_DATA_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.venv/nltk_data}}"
wordnet="$target/corpora/wordnet"
source_dir=/usr/share/wordnet

if [ -s "$wordnet/data.noun" ] && [ -s "$wordnet/index.sense" ] && [ -s "$wordnet/lexnames" ]; then
    echo "WordNet already in $wordnet"
    exit 0
fi

missing=()
for package in wordnet-base wordnet-sense-index; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

mkdir -p "$wordnet"
for name in adj.exc adv.exc noun.exc verb.exc cntlist.rev index.sense \
            data.adj data.adv data.noun data.verb index.adj index.adv index.noun index.verb; do
    if [ ! -f "$source_dir/$name" ]; then
        echo "error: $source_dir/$name is missing; is wordnet-base installed?" >&2
        exit 1
    fi
    cp --dereference "$source_dir/$name" "$wordnet/$name"
done

lexfiles="adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute
noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group
noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession
noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time
verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption
verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession
verb.social verb.stative verb.weather adj.ppl"
number=0
: > "$wordnet/lexnames"
for lexfile in $lexfiles; do
    case "$lexfile" in
        noun.*) category=1 ;;
        verb.*) category=2 ;;
        adj.*) category=3 ;;
        adv.*) category=4 ;;
    esac
    printf '%02d\t%s\t%d\n' "$number" "$lexfile" "$category" >> "$wordnet/lexnames"
    number=$((number + 1))
done

echo "WordNet 3.0 copied to $wordnet"
