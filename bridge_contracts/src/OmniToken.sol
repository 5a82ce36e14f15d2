// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title OmniToken (OMNIT)
/// @notice The OmniTensor token on its home chain, the OmniTensor L1: 18 decimals, a hard cap of
///         one billion tokens, burnable, with EIP-2612 permits. The owner appoints minters; the
///         owner and the minters can mint up to the cap. Ownership moves in two steps
///         (`transferOwnership`, then `acceptOwnership` by the new owner).
contract OmniToken is ERC20, ERC20Burnable, ERC20Capped, ERC20Permit, Ownable2Step {
    /// @notice Maximum supply: 1,000,000,000 OMNIT (18 decimals).
    uint256 public constant MAX_SUPPLY = 1_000_000_000 ether;

    /// @notice Role tag used in Unauthorized errors for minting.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Addresses allowed to mint besides the owner.
    mapping(address account => bool) public isMinter;

    /// @notice The caller lacks `role`.
    /// @param role The role required.
    /// @param caller The caller.
    error Unauthorized(bytes32 role, address caller);

    /// @notice A zero address was given where an account is required.
    error ZeroAddress();

    /// @notice A minter was appointed or removed.
    /// @param account The minter.
    /// @param enabled Whether it may mint from now on.
    event MinterSet(address indexed account, bool enabled);

    /// @param initialOwner Owner: appoints minters and may mint.
    constructor(address initialOwner)
        ERC20("OmniTensor", "OMNIT")
        ERC20Capped(MAX_SUPPLY)
        ERC20Permit("OmniTensor")
        Ownable(initialOwner)
    {}

    /// @notice Appoint or remove a minter (owner only).
    /// @param account The minter.
    /// @param enabled Whether it may mint.
    function setMinter(address account, bool enabled) external onlyOwner {
        if (account == address(0)) revert ZeroAddress();
        isMinter[account] = enabled;
        emit MinterSet(account, enabled);
    }

    /// @notice Mint `amount` to `to`, up to the cap (owner or minter only).
    /// @param to Recipient.
    /// @param amount Amount in wei-units of OMNIT.
    function mint(address to, uint256 amount) external {
        if (msg.sender != owner() && !isMinter[msg.sender]) {
            revert Unauthorized(MINTER_ROLE, msg.sender);
        }
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function _update(address from, address to, uint256 value)
        internal
        override(ERC20, ERC20Capped)
    {
        super._update(from, to, value);
    }
}
